package pdfa

import (
	"bytes"
	"encoding/binary"
	"math"
)

// srgbICC returns a minimal ICC version 2.1 display profile for sRGB, computed
// from the published sRGB primaries, white point and transfer curve: colorants
// chromatically adapted to D50 with the Bradford transform (as ICC requires),
// and a 1024-entry tone curve. It is built in code so that no third-party
// profile (and licence) is needed, and so that it is always byte-identical.
func srgbICC() []byte {
	// sRGB colorimetry as published in IEC 61966-2-1: primaries and D65 white
	// point in CIE xy (the transfer function is in curveTag).
	srgbPrimaries := [3][2]float64{{0.64, 0.33}, {0.30, 0.60}, {0.15, 0.06}}
	srgbWhiteD65 := [2]float64{0.3127, 0.3290}
	iccD50 := [3]float64{0.9642, 1.0, 0.8249} // ICC profile connection space illuminant

	m := rgbToXYZ(srgbPrimaries, srgbWhiteD65)
	a := bradford(xyToXYZ(srgbWhiteD65), iccD50)
	m = mul3(a, m)

	type tag struct {
		sig  string
		data []byte
	}
	trc := curveTag()
	tags := []tag{
		{"desc", descTag("sRGB IEC61966-2.1")},
		{"cprt", textTag("No copyright, use freely")},
		{"wtpt", xyzTag(iccD50)},
		{"rXYZ", xyzTag([3]float64{m[0][0], m[1][0], m[2][0]})},
		{"gXYZ", xyzTag([3]float64{m[0][1], m[1][1], m[2][1]})},
		{"bXYZ", xyzTag([3]float64{m[0][2], m[1][2], m[2][2]})},
		{"rTRC", trc},
		{"gTRC", trc},
		{"bTRC", trc},
	}

	var body bytes.Buffer
	table := make([]byte, 4+12*len(tags))
	binary.BigEndian.PutUint32(table, uint32(len(tags)))
	base := 128 + len(table)
	offsets := map[*byte]int{} // shared tag data (the three TRCs) is stored once
	for i, t := range tags {
		off, ok := offsets[&t.data[0]]
		if !ok {
			off = base + body.Len()
			offsets[&t.data[0]] = off
			body.Write(t.data)
			for body.Len()%4 != 0 {
				body.WriteByte(0)
			}
		}
		e := table[4+12*i:]
		copy(e, t.sig)
		binary.BigEndian.PutUint32(e[4:], uint32(off))
		binary.BigEndian.PutUint32(e[8:], uint32(len(t.data)))
	}

	size := base + body.Len()
	h := make([]byte, 128)
	binary.BigEndian.PutUint32(h[0:], uint32(size))
	binary.BigEndian.PutUint32(h[8:], 0x02100000) // version 2.1
	copy(h[12:], "mntr")
	copy(h[16:], "RGB ")
	copy(h[20:], "XYZ ")
	for i, v := range []uint16{2024, 1, 1, 0, 0, 0} { // fixed date: deterministic
		binary.BigEndian.PutUint16(h[24+2*i:], v)
	}
	copy(h[36:], "acsp")
	putXYZ(h[68:], iccD50)

	out := make([]byte, 0, size)
	out = append(out, h...)
	out = append(out, table...)
	return append(out, body.Bytes()...)
}

// xyToXYZ returns the XYZ (Y = 1) of chromaticity xy.
func xyToXYZ(xy [2]float64) [3]float64 {
	return [3]float64{xy[0] / xy[1], 1, (1 - xy[0] - xy[1]) / xy[1]}
}

// rgbToXYZ returns the matrix taking linear RGB to XYZ for the given primaries and white.
func rgbToXYZ(p [3][2]float64, white [2]float64) [3][3]float64 {
	var m [3][3]float64
	for j := range 3 {
		c := xyToXYZ(p[j])
		for i := range 3 {
			m[i][j] = c[i]
		}
	}
	s := mulVec(inv3(m), xyToXYZ(white))
	for i := range 3 {
		for j := range 3 {
			m[i][j] *= s[j]
		}
	}
	return m
}

// bradford returns the Bradford chromatic adaptation matrix from white src to white dst.
func bradford(src, dst [3]float64) [3][3]float64 {
	b := [3][3]float64{
		{0.8951, 0.2664, -0.1614},
		{-0.7502, 1.7135, 0.0367},
		{0.0389, -0.0685, 1.0296},
	}
	s, d := mulVec(b, src), mulVec(b, dst)
	var k [3][3]float64
	for i := range 3 {
		k[i][i] = d[i] / s[i]
	}
	return mul3(inv3(b), mul3(k, b))
}

func mul3(a, b [3][3]float64) [3][3]float64 {
	var c [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

func mulVec(a [3][3]float64, v [3]float64) [3]float64 {
	var r [3]float64
	for i := range 3 {
		for k := range 3 {
			r[i] += a[i][k] * v[k]
		}
	}
	return r
}

func inv3(m [3][3]float64) [3][3]float64 {
	a, b, c := m[0][0], m[0][1], m[0][2]
	d, e, f := m[1][0], m[1][1], m[1][2]
	g, h, i := m[2][0], m[2][1], m[2][2]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	return [3][3]float64{
		{(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det},
		{(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det},
		{(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det},
	}
}

// s15Fixed16 encodes v as an ICC s15Fixed16Number.
func s15Fixed16(v float64) uint32 {
	return uint32(int32(math.Round(v * 65536)))
}

func putXYZ(b []byte, v [3]float64) {
	for i := range 3 {
		binary.BigEndian.PutUint32(b[4*i:], s15Fixed16(v[i]))
	}
}

func xyzTag(v [3]float64) []byte {
	b := make([]byte, 20)
	copy(b, "XYZ ")
	putXYZ(b[8:], v)
	return b
}

func textTag(s string) []byte {
	b := make([]byte, 8, 8+len(s)+1)
	copy(b, "text")
	b = append(b, s...)
	return append(b, 0)
}

// descTag is an ICC v2 textDescriptionType with an ASCII description and
// empty Unicode and ScriptCode parts.
func descTag(s string) []byte {
	b := make([]byte, 12, 12+len(s)+1+4+4+2+1+67)
	copy(b, "desc")
	binary.BigEndian.PutUint32(b[8:], uint32(len(s)+1))
	b = append(b, s...)
	b = append(b, 0)
	return append(b, make([]byte, 4+4+2+1+67)...)
}

// curveTag is the sRGB transfer function sampled at 1024 points.
func curveTag() []byte {
	const n = 1024
	b := make([]byte, 12+2*n)
	copy(b, "curv")
	binary.BigEndian.PutUint32(b[8:], n)
	for i := range n {
		x := float64(i) / (n - 1)
		var y float64
		if x <= 0.04045 {
			y = x / 12.92
		} else {
			y = math.Pow((x+0.055)/1.055, 2.4)
		}
		binary.BigEndian.PutUint16(b[12+2*i:], uint16(math.Round(y*65535)))
	}
	return b
}
