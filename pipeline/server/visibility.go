package server

import (
	"context"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// What the server shows of a batch depends on two rules:
//
//   - Secret material (access mode 03, of the hồ sơ or the document) never
//     leaves the server: titles, subjects and file names of secret hồ sơ and
//     documents are masked in every answer (dashboard and JSON, for every
//     role), wherever they would appear (failure reasons included); their
//     thumbnails, PDFs and packages are refused. A package holding secret
//     material is handed over offline, from the isolated installation.
//   - A station sees only the batches its token uploaded.

// masked replaces secret names inside free text (failure reasons).
const masked = "[mật]"

// minMasked is the shortest secret string masked inside free text: shorter
// ones would mangle every reason without hiding anything.
const minMasked = 4

// maskSecrets removes the titles and file names of d's secret hồ sơ and
// documents, and every occurrence of them in d's failure reasons. It returns
// the replacer that masks them in other text, nil when d holds no secret
// material.
func maskSecrets(d *queue.BatchDetail) *strings.Replacer {
	var secrets []string
	add := func(s string) {
		if len(s) >= minMasked {
			secrets = append(secrets, s)
		}
	}
	for _, f := range d.Files {
		fileSecret := f.Mode == pipeline.ModeSecret
		if fileSecret {
			add(f.Title)
			f.Title = ""
		}
		for _, doc := range f.Documents {
			if !doc.Secret && !fileSecret {
				continue
			}
			doc.Secret = true
			add(doc.Title)
			add(doc.Source)
			add(path.Base(doc.Source))
			doc.Title, doc.Source, doc.Number = "", "", ""
			for _, pg := range doc.Pages {
				add(pg.File)
				add(path.Base(pg.File))
				pg.File = ""
			}
		}
	}
	if len(secrets) == 0 {
		return nil
	}
	// Longest first, so that a path is masked whole before its base name.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	r := strings.NewReplacer(replacePairs(secrets)...)
	for _, f := range d.Files {
		for _, doc := range f.Documents {
			doc.Reason = r.Replace(doc.Reason)
			for _, pg := range doc.Pages {
				pg.Reason = r.Replace(pg.Reason)
			}
		}
	}
	if d.Status != nil {
		maskStatus(d.Status, r)
	}
	return r
}

func replacePairs(secrets []string) []string {
	out := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		out = append(out, s, masked)
	}
	return out
}

// maskStatus masks the secret names in st's failure reasons with r.
func maskStatus(st *queue.BatchStatus, r *strings.Replacer) {
	for k, v := range st.Failures {
		st.Failures[k] = r.Replace(v)
	}
	st.Error = r.Replace(st.Error)
}

// hasSecret reports whether d holds a secret hồ sơ or document.
func hasSecret(d *queue.BatchDetail) bool {
	for _, f := range d.Files {
		if f.Mode == pipeline.ModeSecret {
			return true
		}
		for _, doc := range f.Documents {
			if doc.Secret {
				return true
			}
		}
	}
	return false
}

// maySee reports whether who may see batch id: a station only its own uploads.
func (s *Server) maySee(ctx context.Context, who *principal, id string) (bool, error) {
	if who.Role != configs.RoleStation {
		return true, nil
	}
	up, err := s.q.Uploaders(ctx, id)
	if err != nil {
		return false, err
	}
	return up[0] != "" && up[0] == who.Name, nil
}

// notVisible answers a request for a batch the caller may not see exactly as
// one for a batch that does not exist.
func notVisible(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "not_found", "status "+id+": "+queue.ErrUnknownBatch.Error(), nil)
}
