package pipeline

import (
	"fmt"
	"path"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/mets"
)

// Superseded is an earlier version of an original scan that a station
// replaced (sohoa submit --replace) before the batch's package was sealed.
// The package carries the current version under data/originals; PREMIS
// records every earlier one by its SHA-256 and size, and where it is kept.
type Superseded struct {
	File     string    // slash path in the batch folder
	Version  int       // 1 for the file as first submitted
	SHA256   string    // of this version
	Size     int64     // of this version
	Key      string    // where this version is kept (the inbox store's key)
	Replaced time.Time // when the next version replaced it
	By       string    // SHA-256 of the next version
}

// supersededPremis adds to prem an object for each superseded version and a
// modification event linking it to the original that replaced it.
func supersededPremis(prem *mets.Premis, list []Superseded) {
	for _, s := range list {
		id := fmt.Sprintf("superseded/v%d/%s", s.Version, s.File)
		format, fv := formatOf(s.File, "")
		prem.Objects = append(prem.Objects, mets.NewObject(id, s.SHA256, s.Size, format, fv))
		ev := mets.NewEvent(fmt.Sprintf("replacement-v%d-%s", s.Version+1, s.File), "modification", s.Replaced.UTC().Format(time.RFC3339), "success", []string{
			fmt.Sprintf("original %s replaced by the station before sealing: version %d (SHA-256 %s, %d bytes, kept as %s) superseded by version %d (SHA-256 %s)",
				s.File, s.Version, s.SHA256, s.Size, s.Key, s.Version+1, s.By),
		})
		ev.LinkAgent(agentOrg, "implementer")
		ev.LinkObject(id)
		ev.LinkObject(path.Join("data/originals", s.File))
		prem.Events = append(prem.Events, ev)
	}
}
