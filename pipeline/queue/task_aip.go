package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/storage"
)

// archiveAIPs writes the AIP_hoso of every complete hồ sơ of the bag at
// bagDir (under work) and stores them in the archive under
// aip/<batch id>/, with retention ret: the same function as "sohoa process"
// on the same bag, so the same zips. A hồ sơ with a failed document gets
// none. Without a PDF signer there are no signed PDFs and no AIP.
func (q *Queue) archiveAIPs(ctx context.Context, id, bagDir, work string, ret *storage.Retention) error {
	if q.opts.Pipeline.Signer == nil {
		return nil
	}
	dir := filepath.Join(work, ".aip")
	opts := q.opts.AIP
	opts.Kind = aip.AIP
	rs, err := aip.WriteAll(ctx, os.DirFS(bagDir), dir, opts)
	if err != nil {
		return err
	}
	for _, r := range aip.Failed(rs) {
		if !errors.Is(r.Err, aip.ErrIncomplete) {
			q.opts.Logger.Error("no AIP_hoso for a complete hồ sơ", "batch", id, "hoso", r.HoSo, "error", r.Err)
		}
	}
	return q.archive(ctx, aip.ArchivePrefix+id, dir, ret, nil)
}
