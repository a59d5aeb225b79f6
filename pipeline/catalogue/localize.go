package catalogue

import (
	"regexp"
	"strings"
)

// vietnamese translates the batch validator's explanations (written in English) for clerks.
var vietnamese = []struct {
	en *regexp.Regexp
	vi string
}{
	{regexp.MustCompile(`^not a valid date; expected (.*)$`), "không phải ngày hợp lệ ($1)"},
	{regexp.MustCompile(`^not an allowed code; allowed: (.*)$`), "không phải mã hợp lệ; được phép: $1"},
	{regexp.MustCompile(`^longer than ([0-9]+) characters$`), "dài quá $1 ký tự"},
	{regexp.MustCompile(`^must not be negative$`), "không được là số âm"},
	{regexp.MustCompile(`^must be digits, with a leading zero below 10.*$`), "số văn bản phải là chữ số, có số 0 ở trước nếu nhỏ hơn 10 (ví dụ 05, 145)"},
	{regexp.MustCompile(`^must be groups of letters and digits.*$`), "ký hiệu gồm các nhóm chữ và số, mỗi nhóm bắt đầu bằng chữ hoa hoặc số, nối bằng dấu '-' (ví dụ QĐ-UBND)"},
	{regexp.MustCompile(`^listed twice$`), "bị ghi hai lần"},
	{regexp.MustCompile(`^no folder of that name in the batch$`), "không có thư mục hồ sơ nào mang mã này trong lô"},
	{regexp.MustCompile(`^no document with that ordinal in folder (.*)$`), "không có văn bản mang số thứ tự này trong thư mục $1"},
	{regexp.MustCompile(`^expected \[archive code\].*$`), "phải có dạng [mã cơ quan lưu trữ].[kho/giá/hộp].[số hồ sơ giấy]"},
	{regexp.MustCompile(`^required for a digitized hồ sơ.*$`), "bắt buộc với hồ sơ số hóa (mức độ tin cậy 02): ghi mã hồ sơ gốc giấy"},
	{regexp.MustCompile(`^must be 1 or 0$`), "phải là 1 hoặc 0"},
	{regexp.MustCompile(`^not a document type of TT 05/2025.*; allowed: (.*)$`), "không phải tên loại văn bản theo TT 05/2025 (mã 01–32 hoặc tên); được phép: $1"},
	{regexp.MustCompile(`^required when riskRecovery is 1.*$`), "bắt buộc khi chế độ dự phòng là 1 (01 Đã dự phòng, 02 Chưa dự phòng)"},
	{regexp.MustCompile(`^is before startDate (.*)$`), "sớm hơn thời gian bắt đầu $1"},
	{regexp.MustCompile(`^must be the fileCode (\S+) followed by a 7-digit sequence number$`), "phải là mã hồ sơ $1 và 7 chữ số thứ tự"},
	{regexp.MustCompile(`^must be 1 or more$`), "phải từ 1 trở lên"},
	{regexp.MustCompile(`^empty$`), "đang để trống"},
	{regexp.MustCompile(`^longer than 100 characters$`), "dài quá 100 ký tự"},
	{regexp.MustCompile(`^expected <agency identifier.*$`), "phải có dạng <mã định danh cơ quan: chữ số, A–Z, '.' (tối đa 35)>.<năm: 4 chữ số>.<số và ký hiệu hồ sơ>, ví dụ H49.64.33.2019.01.VTLT"},
	{regexp.MustCompile(`^secret document.*$`), "tài liệu mật (MẬT / TỐI MẬT / TUYỆT MẬT) bị từ chối: hệ thống này không được cấu hình là hệ thống cô lập (isolated)"},
	{regexp.MustCompile(`^batch id must be.*$`), "mã lô gồm 1–128 ký tự A–Z a–z 0–9 . _ - (bắt đầu bằng chữ hoặc số)"},
	{regexp.MustCompile(`^unknown field.*$`), "thẻ không được biết"},
	{regexp.MustCompile(`^the batch has both (\S+) and (\S+): keep one of them$`), "lô có cả $1 và $2: chỉ giữ một trong hai"},
	{regexp.MustCompile(`^the Hồ sơ sheet as CSV is read only with.*$`), "trang Hồ sơ dạng CSV (mucluc-hoso.csv) chỉ được đọc cùng trang Văn bản dạng CSV (mucluc.csv), không kèm batch.json hay mucluc.xlsx"},
	{regexp.MustCompile(`^only for a hồ sơ scanned as a stack.*$`), "chỉ dùng cho hồ sơ quét thành một xấp (cột Xấp: 1)"},
	{regexp.MustCompile(`^must start with 1 and increase.*$`), "phải bắt đầu từ 1 và tăng dần (ví dụ 1, 3, 4)"},
	{regexp.MustCompile(`^a stack has (\d+) pages; its first pages must be within them$`), "xấp có $1 trang; trang đầu các văn bản phải nằm trong số đó"},
	{regexp.MustCompile(`^a stack hồ sơ holds its pages as loose files.*$`), "hồ sơ quét thành xấp phải để các trang là tệp ảnh rời, theo thứ tự, không chia thư mục con"},
}

// Localize returns the validator's explanation what in lang: unchanged for "en",
// in Vietnamese otherwise (unchanged when no translation is known).
func Localize(what, lang string) string {
	if lang == "en" {
		return what
	}
	for _, t := range vietnamese {
		if t.en.MatchString(what) {
			out := t.en.ReplaceAllString(what, t.vi)
			return strings.ReplaceAll(out, " or YYYY", " hoặc YYYY")
		}
	}
	return what
}
