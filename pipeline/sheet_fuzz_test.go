package pipeline

import (
	"testing"
)

// FuzzBatchSheet feeds arbitrary bytes to the batch.json reader (encoding
// check, JSON decoding, unknown-field listing, metadata validation): it must
// never panic, and every problem it reports names batch.json and says what
// is wrong. Corpus: testdata/fuzz/FuzzBatchSheet.
func FuzzBatchSheet(f *testing.F) {
	f.Add([]byte(`{"id": "b1", "organisation": {"name": "Sở Nội vụ", "identifier": "H49.64.33"}, "files": [{"fileCode": "H49.64.33.2024.01.VTLT", "title": "Hồ sơ", "documents": [{"docOrdinal": 1, "issuedDate": "01/02/2024"}]}]}`))
	f.Add([]byte(`{"files": [{"fileCode": 1}], "x": null}`))
	f.Add([]byte("\xef\xbb\xbf{\"id\": \"b\xe1\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, p := DecodeUTF8(MetadataFile, data)
		if p != nil {
			if p.File != MetadataFile || p.What == "" {
				t.Fatalf("encoding problem %+v", p)
			}
			return
		}
		var sh sheet
		for _, p := range readSheet(text, &sh) {
			if p.File != MetadataFile || p.What == "" {
				t.Fatalf("problem %+v", p)
			}
		}
		var probs []Problem
		for i := range sh.Files {
			where := problems{list: &probs, where: MetadataFile, path: "files[0]."}
			where.validateFile(&sh.Files[i].FileMeta, true)
			for j := range sh.Files[i].Documents {
				dp := problems{list: &probs, where: MetadataFile, path: "files[0].documents[0]."}
				dp.validateDoc(sh.Files[i].FileCode, &sh.Files[i].Documents[j])
			}
		}
		for _, p := range probs {
			if p.What == "" {
				t.Fatalf("problem without a reason: %+v", p)
			}
		}
	})
}
