package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// explanation is a failure told to people: what happened, in one sentence,
// and what to do about it. The technical text is shown folded under it.
type explanation struct {
	Sentence, Action string
}

// failureKinds maps words of a technical failure (its stage, then its text)
// to a kind of failure, in order: the first match wins.
var failureKinds = []struct {
	words []string
	kind  string
}{
	{[]string{"secret", "mật"}, "secret"},
	{[]string{"decode", "truncated", "corrupt", "unexpected eof", "invalid jpeg", "invalid png", "tiff"}, "image"},
	{[]string{"sign", "seal", "pkcs11", "token", "certificate", "tsa", "timestamp"}, "sign"},
	{[]string{"metadata", "catalogue", "mục lục", "batch.json"}, "metadata"},
	{[]string{"ocr", "tesseract", "recogni"}, "ocr"},
	{[]string{"normalize", "deskew", "orientation"}, "normalize"},
	{[]string{"encode", "pdf"}, "pdf"},
	{[]string{"s3", "redis", "connection", "timeout", "network", "storage", "archive"}, "store"},
}

// explanations are the sentences and actions of each kind of failure.
var explanations = map[string]map[string]explanation{
	"vi": {
		"image":     {"Tệp ảnh bị hỏng, không đọc được", "quét lại trang này rồi thay trang (POST …/replace hoặc sohoa submit --replace)"},
		"secret":    {"Tài liệu có dấu mật, không được xử lý trên hệ thống này", "chuyển tài liệu sang hệ thống biệt lập"},
		"sign":      {"Không ký số được", "kiểm tra thiết bị ký số (USB token) và chứng thư số, rồi bấm Chạy lại"},
		"metadata":  {"Thông tin mục lục hoặc siêu dữ liệu không hợp lệ", "sửa mục lục theo thông báo chi tiết rồi nộp lại"},
		"ocr":       {"Không nhận dạng được chữ trên trang", "bấm Chạy lại; nếu vẫn lỗi, kiểm tra bản quét (mờ, nghiêng, thiếu sáng) và quét lại"},
		"normalize": {"Không xử lý được ảnh trang (xoay, làm thẳng)", "bấm Chạy lại; nếu vẫn lỗi, quét lại trang này"},
		"pdf":       {"Không tạo được tệp PDF/A", "bấm Chạy lại; nếu vẫn lỗi, báo quản trị viên kèm chi tiết kỹ thuật"},
		"store":     {"Mất kết nối tới kho lưu trữ hoặc hàng đợi", "chờ vài phút rồi bấm Chạy lại; nếu vẫn lỗi, báo quản trị viên"},
		"other":     {"Xử lý bị lỗi", "bấm Chạy lại; nếu vẫn lỗi, báo quản trị viên kèm chi tiết kỹ thuật"},
	},
	"en": {
		"image":     {"The image file is damaged and cannot be read", "scan this page again and replace it (POST …/replace or sohoa submit --replace)"},
		"secret":    {"The document carries a secrecy mark and is not processed on this system", "move it to the isolated installation"},
		"sign":      {"The signature could not be made", "check the signing device (USB token) and its certificate, then press Retry"},
		"metadata":  {"The catalogue or metadata is not valid", "correct the catalogue as the details say and submit again"},
		"ocr":       {"The text on the page could not be recognised", "press Retry; if it fails again, check the scan (blurred, skewed, dark) and scan again"},
		"normalize": {"The page image could not be turned or straightened", "press Retry; if it fails again, scan this page again"},
		"pdf":       {"The PDF/A file could not be made", "press Retry; if it fails again, tell the administrator with the technical details"},
		"store":     {"The archive store or the queue could not be reached", "wait a few minutes and press Retry; if it fails again, tell the administrator"},
		"other":     {"Processing failed", "press Retry; if it fails again, tell the administrator with the technical details"},
	},
}

// explain tells people in language lang what a failure at stage with the
// technical reason means and what to do.
func explain(lang, stage, reason string) explanation {
	kind := "other"
	for _, text := range []string{strings.ToLower(stage), strings.ToLower(reason)} {
		if text == "" {
			continue
		}
		for _, k := range failureKinds {
			for _, w := range k.words {
				if strings.Contains(text, w) {
					kind = k.kind
					break
				}
			}
			if kind != "other" {
				break
			}
		}
		if kind != "other" {
			break
		}
	}
	if _, ok := explanations[lang]; !ok {
		lang = "vi"
	}
	return explanations[lang][kind]
}

// Phases of a queued batch that the dashboard names, besides its state.
const (
	phaseNoWorker  = "noWorker"  // waiting, and no worker has a heartbeat
	phasePackaging = "packaging" // every document done, the package being written
)

// phase says what a batch is doing when its state alone does not tell:
// waiting with no worker running, or being packaged.
func phase(st *queue.BatchStatus, workers int) string {
	if st.State != queue.StateQueued {
		return ""
	}
	if workers == 0 {
		return phaseNoWorker
	}
	if st.Documents > 0 && st.DocumentsDone+st.DocumentsFailed >= st.Documents {
		return phasePackaging
	}
	return ""
}

// workerCount counts the queue workers with a live heartbeat (asynq's
// servers), asking Redis at most once a second.
type workerCount struct {
	insp *asynq.Inspector
	mu   sync.Mutex
	at   time.Time
	n    int
}

func (c *workerCount) get(ctx context.Context) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < time.Second {
		return c.n
	}
	servers, err := c.insp.Servers()
	if err != nil {
		return -1 // unknown: say nothing rather than something false
	}
	n := 0
	for _, s := range servers {
		if s.Status != "closed" {
			n++
		}
	}
	c.n, c.at = n, time.Now()
	return n
}

// rateWindow is the span of recent progress the pace is measured over.
const rateWindow = 5 * time.Minute

// sample is a batch's count of finished pages at a time.
type sample struct {
	at    time.Time
	pages int
}

// paces keeps recent samples of each batch's progress, from the summaries
// the server makes, to measure its recent pace.
type paces struct {
	mu sync.Mutex
	m  map[string][]sample
}

// rate records that batch id had pages finished at now and returns the pages
// per minute over the last rateWindow, or ok false when fewer than 20 seconds
// of samples are known.
func (p *paces) rate(id string, now time.Time, pages int) (perMin float64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string][]sample{}
	}
	ss := p.m[id]
	for len(ss) > 0 && now.Sub(ss[0].at) > rateWindow {
		ss = ss[1:]
	}
	if len(ss) == 0 || ss[len(ss)-1].pages != pages || now.Sub(ss[len(ss)-1].at) > 10*time.Second {
		ss = append(ss, sample{now, pages})
	}
	p.m[id] = ss
	first := ss[0]
	span := now.Sub(first.at)
	if span < 20*time.Second {
		return 0, false
	}
	return float64(pages-first.pages) / span.Minutes(), true
}

// forget drops the samples of a finished batch.
func (p *paces) forget(id string) {
	p.mu.Lock()
	delete(p.m, id)
	p.mu.Unlock()
}
