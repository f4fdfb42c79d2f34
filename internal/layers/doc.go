// Package layers holds no code: its test enforces which package may import which
// (docs/ARCHITECTURE.md): faces (app, cli) → workflow → core → store, the core never imports
// the UI toolkit or a face, and the central server never links Fyne or Tesseract.
package layers
