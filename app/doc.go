// Package app is the SoHoa workstation's Fyne user interface: first-run set-up, login, the
// batch list with import and search, and the page viewer with OCR text and low-confidence
// marks. It calls the core packages (queue, capture, pipeline) and holds no business rules;
// long work runs off the UI goroutine and every widget change from elsewhere goes through
// fyne.Do. Texts are Vietnamese by default, English on request (translations/*.json).
package app
