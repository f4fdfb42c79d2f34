package server

import (
	"encoding/json"
	"net/http"

	"github.com/sohoa/sohoa/sync/wire"
)

// apiError is an answer the server sends: every message in Vietnamese and English, and never
// any personal data (no field values, names or file contents).
func apiError(status int, code, vi, en string) *wire.Error {
	return &wire.Error{Status: status, Code: code, MessageVI: vi, MessageEN: en}
}

var (
	errUnauthorized = apiError(401, "unauthorized",
		"Máy trạm chưa được xác thực. Hãy đăng ký máy trạm với máy chủ trung tâm.",
		"Workstation not authenticated: enroll it with the central server.")
	errReaderUnauthorized = apiError(401, "unauthorized",
		"Cần mã truy cập chỉ đọc (reader token) hợp lệ. Mã của máy trạm không dùng được ở đây.",
		"A valid read-only reader token is required; workstation tokens are not accepted here.")
	errReaderRevoked = apiError(403, "reader_revoked",
		"Mã truy cập chỉ đọc này đã bị thu hồi. Hãy liên hệ quản trị viên.",
		"This reader token was revoked: contact the administrator.")
	errMetricsUnauthorized = apiError(401, "unauthorized",
		"Cần mã truy cập số liệu giám sát (metrics token) hợp lệ.",
		"A valid metrics token is required.")
	errReaderOffice = apiError(403, "reader_office",
		"Mã truy cập chỉ đọc này chỉ được đọc dữ liệu của một đơn vị, không phải đơn vị được hỏi.",
		"This reader token is limited to one office and may not read the office asked for.")
	errRevoked = apiError(403, "workstation_revoked",
		"Máy trạm này đã bị thu hồi quyền đồng bộ. Hãy liên hệ quản trị viên.",
		"This workstation's credential was revoked: contact the administrator.")
	errWrongOffice = apiError(403, "wrong_office",
		"Lô hồ sơ thuộc đơn vị khác với đơn vị của máy trạm.",
		"The batch belongs to another office than this workstation's.")
	errWrongWorkstation = apiError(403, "wrong_workstation",
		"Lô hồ sơ được gửi từ máy trạm khác.",
		"The batch was sent by another workstation.")
	errBadBlobName = apiError(400, "bad_blob_name",
		"Tên dữ liệu không hợp lệ: phải là 64 ký tự hexa thường (SHA-256).",
		"Bad blob name: it must be 64 lowercase hexadecimal characters (SHA-256).")
	errBadBatchID = apiError(400, "bad_batch_id",
		"Mã lô không hợp lệ: phải là UUID viết thường.",
		"Bad batch id: it must be a lowercase UUID.")
	errHashMismatch = apiError(400, "hash_mismatch",
		"Dữ liệu nhận được không khớp với mã băm SHA-256. Không có gì được lưu; hãy gửi lại.",
		"The content does not match its SHA-256 name. Nothing was stored; send it again.")
	errTooLarge = apiError(413, "too_large",
		"Yêu cầu vượt quá kích thước cho phép.",
		"The request is larger than allowed.")
	errNotFound = apiError(404, "not_found",
		"Không tìm thấy.",
		"Not found.")
	errBatchConflict = apiError(409, "batch_conflict",
		"Lô hồ sơ này đã được lưu với nội dung khác. Không thể ghi đè.",
		"This batch is already stored with other contents; it cannot be overwritten.")
	errRateLimited = apiError(429, wire.CodeRateLimited,
		"Quá nhiều yêu cầu. Hãy đợi một lát rồi thử lại.",
		"Too many requests: wait a moment and try again.")
	errEnrollCode = apiError(403, "enroll_code_invalid",
		"Mã đăng ký không đúng, đã dùng hoặc đã hết hạn. Hãy xin quản trị viên mã mới.",
		"The enrollment code is wrong, used or expired: ask the administrator for a new one.")
	errInternal = apiError(500, "internal",
		"Lỗi máy chủ. Hãy thử lại sau.",
		"Server error: try again later.")
	errUnavailable = apiError(503, wire.CodeUnavailable,
		"Máy chủ tạm thời không phục vụ. Hãy thử lại sau.",
		"The server is temporarily unavailable: try again later.")
	errUploadBusy = apiError(409, wire.CodeUploadBusy,
		"Dữ liệu này đang được tải lên qua một kết nối khác.",
		"This blob is being uploaded on another connection.")
	errBadRange = apiError(400, "bad_content_range",
		"Tiêu đề Content-Range không hợp lệ.",
		"Bad Content-Range header.")
)

func errMalformed(detail string) *wire.Error {
	return apiError(400, "malformed_request",
		"Yêu cầu không đúng định dạng: "+detail,
		"Malformed request: "+detail)
}

func errVerification(detail string) *wire.Error {
	return apiError(422, "verification_failed",
		"Kiểm tra lô hồ sơ không đạt: "+detail,
		"Batch verification failed: "+detail)
}

func errMissingBlobs(missing []string) *wire.Error {
	e := apiError(409, wire.CodeMissingBlobs,
		"Máy chủ còn thiếu dữ liệu của lô. Hãy tải lên các dữ liệu còn thiếu rồi xác nhận lại.",
		"The server still lacks some blobs of the batch: upload them, then commit again.")
	e.Missing = missing
	return e
}

func errUploadOffset() *wire.Error {
	return apiError(409, wire.CodeUploadOffset,
		"Vị trí tải tiếp không khớp. Hãy tiếp tục từ vị trí trong tiêu đề Upload-Offset.",
		"Upload offset mismatch: resume at the offset in the Upload-Offset header.")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) fail(w http.ResponseWriter, e *wire.Error) {
	s.metrics.errors.Add(1)
	writeJSON(w, e.Status, e)
}
