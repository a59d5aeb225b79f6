package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/configs"
)

// bombPNG is the header of a 20000×20000 16-bit RGBA PNG at 300 dpi: a few
// dozen bytes that would decode to 3.2 GB.
func bombPNG() []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		buf.WriteString(typ)
		buf.Write(data)
		binary.Write(&buf, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	chunk("IHDR", []byte{0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 16, 6, 0, 0, 0})
	chunk("pHYs", []byte{0, 0, 0x2e, 0x23, 0, 0, 0x2e, 0x23, 1})
	chunk("IDAT", nil)
	chunk("IEND", nil)
	return buf.Bytes()
}

// TestUploadInputRefused is issue 12 items 4 and 17 over HTTP: ?dpi= outside
// 50–2400 (Inf, NaN, 1e300) is 400; a decompression bomb is 422 naming the
// file, refused from its header; nothing is left behind.
func TestUploadInputRefused(t *testing.T) {
	e := newEnv(t, 8<<20)
	post := func(query string, files map[string][]byte) (int, apiError) {
		resp := e.do("POST", "/api/v1/batches"+query, configs.RoleStation, tarOf(t, files), "application/x-tar")
		defer resp.Body.Close()
		var ae apiError
		data, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(data, &ae); err != nil {
			t.Errorf("not JSON: %s", data)
		}
		return resp.StatusCode, ae
	}
	for _, v := range []string{"NaN", "Inf", "-Inf", "1e300", "49", "2401", "abc"} {
		code, ae := post("?dpi="+v, batchFiles(t, "dpi-range", false))
		if code != 400 || ae.Code != "malformed" || !strings.Contains(ae.Message, "from 50 to 2400") {
			t.Errorf("?dpi=%s: %d %+v, want 400 malformed", v, code, ae)
		}
		e.assertNothingLeft("?dpi=" + v)
	}
	files := batchFiles(t, "bomb-1", false)
	files["bomb-1/H49.64.33.2024.01.VTLT/4/page-001.png"] = bombPNG()
	code, ae := post("", files)
	if code != 422 || ae.Code != "invalid_batch" || len(ae.Problems) != 1 ||
		ae.Problems[0].File != "H49.64.33.2024.01.VTLT/4/page-001.png" || !strings.Contains(ae.Problems[0].What, "decode to 3052 MB") {
		t.Errorf("decompression bomb: %d %+v", code, ae)
	}
	e.assertNothingLeft("decompression bomb")
}
