package server

// labels are the dashboard's words, in Vietnamese (the default) and English.
var labels = map[string]map[string]string{
	"vi": {
		"title": "Số hóa tài liệu lưu trữ", "batches": "Lô tài liệu", "batch": "Lô", "state": "Trạng thái",
		"submitted": "Nộp lúc", "pages": "Trang", "done": "xong", "flagged": "cần xem lại", "failed": "lỗi", "total": "tổng",
		"ppm": "trang/phút", "eta": "Dự kiến xong", "documents": "Văn bản", "file": "Hồ sơ", "page": "Trang",
		"orientation": "Hướng", "skew": "Độ nghiêng", "confidence": "Độ tin cậy OCR", "flags": "Cảnh báo",
		"retry": "Chạy lại", "retryDoc": "Chạy lại văn bản", "pdf": "Tệp PDF", "package": "Gói lưu trữ", "reason": "Lý do",
		"login": "Đăng nhập", "token": "Mã truy cập (token)", "logout": "Đăng xuất", "badToken": "Mã truy cập không đúng.",
		"noBatches": "Chưa có lô nào.", "secret": "Tài liệu mật (chế độ 03): không hiển thị nội dung.",
		"queued": "đang xử lý", "complete": "hoàn thành", "incomplete": "chưa đầy đủ", "pending": "đang chờ", "copying": "chưa đủ bản sao",
		"empty": "trống", "low-confidence": "độ tin cậy thấp", "blank": "trang trắng", "lowDpi": "độ phân giải thấp",
		"orientation-uncertain": "hướng chưa chắc chắn", "under-24-bit": "dưới 24 bit màu (TT 05 Điều 8)", "monitor": "Hàng đợi", "failures": "Trang lỗi",
		"stage": "Công đoạn", "finished": "Xong lúc", "lang": "English", "langCode": "en", "back": "Danh sách lô",
		"fromPage": "Đọc từ trang (mục lục để trống)", "metadata-mismatch": "Mục lục khác với trang",
		"catalogueValue": "mục lục", "pageValue": "trên trang",
		"secretPackage": "Lô có tài liệu mật (chế độ 03): gói lưu trữ chỉ được bàn giao ngoại tuyến, từ hệ thống biệt lập.",
	},
	"en": {
		"title": "Archive digitization", "batches": "Batches", "batch": "Batch", "state": "State",
		"submitted": "Submitted", "pages": "Pages", "done": "done", "flagged": "flagged", "failed": "failed", "total": "total",
		"ppm": "pages/min", "eta": "ETA", "documents": "Documents", "file": "File (hồ sơ)", "page": "Page",
		"orientation": "Orientation", "skew": "Skew", "confidence": "OCR confidence", "flags": "Flags",
		"retry": "Retry", "retryDoc": "Retry document", "pdf": "PDF", "package": "Package", "reason": "Reason",
		"login": "Log in", "token": "API token", "logout": "Log out", "badToken": "Unknown token.",
		"noBatches": "No batches yet.", "secret": "Secret document (mode 03): content not shown.",
		"queued": "in progress", "complete": "complete", "incomplete": "incomplete", "pending": "pending", "copying": "not yet in every copy",
		"empty": "empty", "low-confidence": "low confidence", "blank": "blank page", "lowDpi": "low dpi",
		"orientation-uncertain": "orientation uncertain", "under-24-bit": "under 24-bit colour (TT 05 Art. 8)", "monitor": "Queue", "failures": "Failed pages",
		"stage": "Stage", "finished": "Finished", "lang": "Tiếng Việt", "langCode": "vi", "back": "Batch list",
		"fromPage": "Read from the page (empty in the catalogue)", "metadata-mismatch": "Catalogue and page differ",
		"catalogueValue": "catalogue", "pageValue": "page",
		"secretPackage": "The batch holds secret documents (mode 03): its package is handed over offline only, from the isolated installation.",
	},
}
