package server

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/configs"
)

// The attack cases of issue 12 against "sohoa serve", kept as tables: crafted
// tar and multipart entries and login redirects. Later work must keep them green.

// tarEntry is one entry of a crafted tar stream.
type tarEntry struct {
	name     string
	typeflag byte
	link     string
	data     string
}

// craftTar writes entries as a tar stream, in order.
func craftTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: e.typeflag, Linkname: e.link, Format: tar.FormatPAX}
		if e.typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if e.typeflag == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("%.60q: %v", e.name, err)
		}
		io.WriteString(tw, e.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAttack returns a crafted upload kept in testdata/attack.
func readAttack(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "attack", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func file(name string) tarEntry { return tarEntry{name: name, typeflag: tar.TypeReg, data: "x"} }

// craftMultipart writes files as a multipart form with the given file names, in order.
func craftMultipart(t testing.TB, names ...string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, n := range names {
		w, err := mw.CreateFormFile("file", n)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "x")
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// Names of the client mistakes (item 16).
var (
	longName  = "lo-1/" + strings.Repeat("a", 300) + ".jpg"
	deepPath  = "lo-1/" + strings.Repeat("d/", 2100) + "page-001.jpg"
	tooLongUT = "lo-1/" + strings.Repeat("ả", 100) + ".jpg" // 300 bytes of UTF-8
)

// TestAttackUploads: crafted uploads answer 400 (or 415) naming the entry,
// never 500, never the server's temporary path, and leave nothing behind.
func TestAttackUploads(t *testing.T) {
	e := newEnv(t, 8<<20)
	type upload struct {
		body  []byte
		ctype string
	}
	asTar := func(entries ...tarEntry) upload {
		return upload{craftTar(t, entries...), "application/x-tar"}
	}
	asForm := func(names ...string) upload {
		b, ct := craftMultipart(t, names...)
		return upload{b, ct}
	}
	cases := []struct {
		name string
		upload
		want     int
		code     string
		mentions string // the message names the entry (a part of it)
	}{
		{"not a tar", upload{[]byte("plain text, not a tar stream at all"), "application/x-tar"}, 400, "malformed", "not a tar stream"},
		{"empty tar", asTar(), 400, "malformed", "no files"},
		{"unsupported type", upload{[]byte("x"), "text/plain"}, 415, "unsupported_media_type", ""},
		{"parent folder", asTar(file("../escape.jpg")), 400, "malformed", `"../escape.jpg"`},
		{"parent folder inside", asTar(file("lo-1/a/../../../escape.jpg")), 400, "malformed", "escape.jpg"},
		{"backslash parent", asTar(file(`..\escape.jpg`)), 400, "malformed", "escape.jpg"},
		{"parent folder entry", asTar(tarEntry{name: "../up/", typeflag: tar.TypeDir}, file("lo-1/a.jpg")), 400, "malformed", `"../up/"`},
		{"symlink", asTar(tarEntry{name: "lo-1/link.jpg", typeflag: tar.TypeSymlink, link: "/etc/passwd"}), 400, "malformed", "lo-1/link.jpg"},
		{"hard link", asTar(file("lo-1/a.jpg"), tarEntry{name: "lo-1/b.jpg", typeflag: tar.TypeLink, link: "lo-1/a.jpg"}), 400, "malformed", "lo-1/b.jpg"},
		{"device", asTar(tarEntry{name: "lo-1/dev", typeflag: tar.TypeChar}), 400, "malformed", "lo-1/dev"},
		{"fifo", asTar(tarEntry{name: "lo-1/fifo", typeflag: tar.TypeFifo}), 400, "malformed", "lo-1/fifo"},
		{"sent twice", asTar(file("lo-1/a.jpg"), file("lo-1/a.jpg")), 400, "malformed", "sent twice"},
		// Item 16: client mistakes that answered 500 with the server's temporary path.
		{"300-byte name", asTar(file(longName)), 400, "malformed", "aaaaaaaaaa"},
		{"300-byte UTF-8 name", asTar(file(tooLongUT)), 400, "malformed", "ảảảả"},
		{"2100-level path", asTar(file(deepPath)), 400, "malformed", "d/d/d/d/d/"},
		{"file, then folder of one name", asTar(file("lo-1/H1/1"), file("lo-1/H1/1/page-001.jpg")), 400, "malformed", "lo-1/H1/1"},
		{"folder, then file of one name", asTar(file("lo-1/H1/1/page-001.jpg"), file("lo-1/H1/1")), 400, "malformed", "lo-1/H1/1"},
		{"folder entry, then file of one name", asTar(tarEntry{name: "lo-1/H1/", typeflag: tar.TypeDir}, file("lo-1/H1")), 400, "malformed", "lo-1/H1"},
		// A 10 KB tar of a 1 GiB sparse file (GNU tar --sparse): the holes would become zeros on the server's disk.
		{"sparse file, PAX 1.0", upload{readAttack(t, "sparse-pax-1.0.tar"), "application/x-tar"}, 400, "malformed", `"big.jpg"`},
		{"sparse file, PAX 0.1", upload{readAttack(t, "sparse-pax-0.1.tar"), "application/x-tar"}, 400, "malformed", `"big.jpg"`},
		{"sparse file, GNU", upload{readAttack(t, "sparse-gnu.tar"), "application/x-tar"}, 400, "malformed", "big.jpg"},
		{"form: parent folder", asForm("../escape.jpg"), 400, "malformed", "escape.jpg"},
		{"form: 300-byte name", asForm(longName), 400, "malformed", "aaaaaaaaaa"},
		{"form: 2100-level path", asForm(deepPath), 400, "malformed", "d/d/d/d/d/"},
		{"form: file, then folder of one name", asForm("lo-1/H1/1", "lo-1/H1/1/page-001.jpg"), 400, "malformed", "lo-1/H1/1"},
		{"form: folder, then file of one name", asForm("lo-1/H1/1/page-001.jpg", "lo-1/H1/1"), 400, "malformed", "lo-1/H1/1"},
		{"form: no files", asForm(), 400, "malformed", "no files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := e.do("POST", "/api/v1/batches", configs.RoleStation, bytes.NewReader(c.body), c.ctype)
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var ae apiError
			if err := json.Unmarshal(data, &ae); err != nil {
				t.Fatalf("%d, not a JSON error: %.300s", resp.StatusCode, data)
			}
			if resp.StatusCode != c.want || ae.Code != c.code {
				t.Errorf("%d %s, want %d %s: %.300s", resp.StatusCode, ae.Code, c.want, c.code, ae.Message)
			}
			if !strings.Contains(ae.Message, c.mentions) {
				t.Errorf("the message does not name the entry (%q): %.300s", c.mentions, ae.Message)
			}
			if strings.Contains(string(data), e.tempDir) || strings.Contains(string(data), "sohoa-upload-") {
				t.Errorf("the answer shows the server's temporary path: %.300s", data)
			}
			e.assertNothingLeft(c.name)
		})
	}
}

// TestAttackLoginRedirect: after login the browser goes only to a path of
// this site (item 8), whatever "next" says.
func TestAttackLoginRedirect(t *testing.T) {
	e := newEnv(t, 1<<20)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct{ next, want string }{
		{"/batches/lo-1?lang=en", "/batches/lo-1?lang=en"},
		{"/", "/"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\t/evil.example", "/"},   // browsers drop the TAB: //evil.example
		{"/\n/evil.example", "/"},   // and newlines
		{"/\r\n/evil.example", "/"}, // header splitting too
		{"/\\evil.example", "/"},
		{"\\/evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"http:/evil.example", "/"},
		{" //evil.example", "/"},
		{"/%09/evil.example", "/%09/evil.example"}, // an escaped TAB stays a path here
	}
	for _, c := range cases {
		// A bare round trip: http.Client would refuse some Locations itself, browsers do not.
		req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader(url.Values{"token": {e.tokens[configs.RoleStaff]}, "next": {c.next}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatalf("next=%q: %v", c.next, err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != c.want {
			t.Errorf("next=%q: %d to %q, want 303 to %q", c.next, resp.StatusCode, loc, c.want)
		}
		// The login page carries the same target in its form.
		resp, err = client.Get(e.url + "/login?next=" + url.QueryEscape(c.next))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if c.want == "/" && c.next != "/" && c.next != "" && !bytes.Contains(page, []byte(`name="next" value="/"`)) {
			t.Errorf("login page for next=%q keeps it: %s", c.next, page)
		}
	}
}
