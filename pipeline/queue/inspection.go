// The inspection record (biên bản kiểm tra, TT 05/2025 Phụ lục VII) of a
// batch approved after review, in the form of Nghị định 30/2020.

package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/storage"
)

// inspectionKey is where the work store keeps batch id's signed inspection
// record of retry round round, made once so that every delivery of the
// package task writes the same package.
func inspectionKey(id string, round int) string {
	return fmt.Sprintf("%s/inspection/%d.pdf", id, round)
}

// inspection returns the review of approved batch id for its package: its
// signed inspection record, made on the first delivery of the package task
// and kept in the work store.
func (q *Queue) inspection(ctx context.Context, id string, b *pipeline.Batch) (*pipeline.Inspection, error) {
	h, err := q.rdb.HMGet(ctx, keyBatch(id), "approvedBy", "approved", "retries").Result()
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	who, _ := h[0].(string)
	at, _ := h[1].(string)
	when, err := time.Parse(time.RFC3339Nano, at)
	if who == "" || err != nil {
		return nil, fmt.Errorf("batch %s: approved without a reviewer or time (%q, %q)", id, who, at)
	}
	round, _ := strconv.Atoi(fmt.Sprint(h[2]))
	p, err := q.ReviewPlan(ctx, id)
	if err != nil {
		return nil, err
	}
	in := &pipeline.Inspection{Reviewer: who, Time: when, Detail: fmt.Sprintf(
		"%d hồ sơ, %d văn bản, %d trang; kiểm tra %d, đạt %d, sửa %d, thay %d trang, trả lại %d",
		p.Counts.Files, p.Counts.Documents, p.Counts.Pages, p.Counts.Sampled, p.Counts.Accepted,
		p.Counts.Corrected, p.Counts.Replaced, p.Counts.Rejected)}
	key := inspectionKey(id, round)
	if in.PDF, err = getAll(ctx, q.stores.Work, key); err == nil {
		return in, nil
	} else if !errors.Is(err, storage.ErrNotExist) {
		return nil, err
	}
	var buf bytes.Buffer
	if err := inspectionRecord(b, &p, who, when, q.opts.Review.Place).WritePDF(&buf); err != nil {
		return nil, fmt.Errorf("batch %s: inspection record: %w", id, err)
	}
	pdf := buf.Bytes()
	if s := q.opts.Pipeline.Signer; s != nil {
		if pdf, err = s.SignPDF(ctx, pdf, b.Organisation.Name); err != nil {
			return nil, fmt.Errorf("batch %s: inspection record: sign: %w", id, err)
		}
	}
	if err := putOnce(ctx, q.stores.Work, key, pdf); err != nil {
		return nil, err
	}
	// Another delivery may have stored its own first: use what is stored.
	if in.PDF, err = getAll(ctx, q.stores.Work, key); err != nil {
		return nil, err
	}
	return in, nil
}

// inspectionRecord lays out the biên bản kiểm tra of batch b reviewed as p,
// approved by who at when, drawn up at place.
func inspectionRecord(b *pipeline.Batch, p *ReviewPlan, who string, when time.Time, place string) *backuplog.Record {
	c := p.Counts
	r := &backuplog.Record{Organisation: b.Organisation.Name, Place: place, Created: when, Title: "BIÊN BẢN",
		Subject: "Kiểm tra kết quả số hóa tài liệu lưu trữ",
		Columns: []string{"STT", "Văn bản", "Trường", "Giá trị cũ", "Giá trị mới", "Người sửa", "Thời gian"},
		Widths:  []float64{0.06, 0.2, 0.12, 0.2, 0.2, 0.1, 0.12},
		Signers: [2][2]string{{"NGƯỜI KIỂM TRA", "(Ký, ghi rõ họ tên)"}, {"THỦ TRƯỞNG CƠ QUAN", "(Ký số của cơ quan)"}}}
	r.Lines = []string{
		"Căn cứ Thông tư số 05/2025/TT-BNV, Phụ lục VII: kiểm tra kết quả số hóa trước khi đóng gói và niêm phong.",
		fmt.Sprintf("Lô số hóa: %s. Người kiểm tra: %s. Thời gian duyệt: %s.", b.ID, who, when.In(ict).Format("15:04 ngày 02/01/2006 (ICT, UTC+7)")),
		fmt.Sprintf("Số hồ sơ: %d. Số văn bản: %d. Số trang: %d.", c.Files, c.Documents, c.Pages),
		fmt.Sprintf("Số văn bản được chọn kiểm tra: %d (mọi văn bản có cảnh báo và %.0f%% văn bản còn lại). Số văn bản đạt: %d.", c.Sampled, p.Sample*100, c.Accepted),
		fmt.Sprintf("Số văn bản được sửa thông tin: %d. Số trang được thay bằng bản quét mới: %d. Số văn bản trả lại: %d.", c.Corrected, c.Replaced, c.Rejected),
		fmt.Sprintf("Danh sách sửa thông tin (%d lần sửa):", len(p.Corrections)),
	}
	for i, cr := range p.Corrections {
		doc := cr.Code
		if doc == "" {
			doc = "văn bản " + strconv.Itoa(cr.Doc+1)
		}
		r.Rows = append(r.Rows, []string{strconv.Itoa(i + 1), doc, cr.Field, cr.Before, cr.After, cr.Who, cr.Time.In(ict).Format("02/01/2006 15:04")})
	}
	r.Closing = "Kết luận: kết quả số hóa đạt yêu cầu, được duyệt để đóng gói, ký số và niêm phong. Biên bản được lập từ nhật ký kiểm tra của hệ thống."
	return r
}

// ict is Vietnam's time zone, in which records give times.
var ict = time.FixedZone("ICT", 7*3600)
