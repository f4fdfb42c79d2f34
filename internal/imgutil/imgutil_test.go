package imgutil

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func TestRotate(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	// 0 1 2
	// 3 4 5
	for i := range g.Pix {
		g.Pix[i] = uint8(i)
	}
	want := map[int][]uint8{
		90:  {3, 0, 4, 1, 5, 2}, // 2 wide, 3 high
		180: {5, 4, 3, 2, 1, 0},
		270: {2, 5, 1, 4, 0, 3},
	}
	for deg, pix := range want {
		r, err := Rotate(g, deg)
		if err != nil {
			t.Fatal(err)
		}
		got := r.(*image.Gray)
		if !bytes.Equal(got.Pix, pix) {
			t.Errorf("%d°: %v, want %v", deg, got.Pix, pix)
		}
	}
	c := image.NewRGBA(image.Rect(0, 0, 2, 1))
	c.Set(0, 0, color.RGBA{255, 0, 0, 255})
	r, _ := Rotate(c, 90)
	if r.Bounds().Dx() != 1 || r.Bounds().Dy() != 2 || r.At(0, 0).(color.RGBA).R != 255 {
		t.Fatalf("rgba 90°: %v %v", r.Bounds(), r.At(0, 0))
	}
	if _, err := Rotate(g, 45); err == nil {
		t.Fatal("45° accepted")
	}
	var b bytes.Buffer
	png.Encode(&b, g)
	out, w, h, err := RotateEncoded(b.Bytes(), 270)
	if err != nil || w != 2 || h != 3 {
		t.Fatalf("RotateEncoded: %dx%d %v", w, h, err)
	}
	back, _ := png.Decode(bytes.NewReader(out))
	if back.(*image.Gray).Pix[0] != 2 {
		t.Fatalf("RotateEncoded pixels: %v", back.(*image.Gray).Pix)
	}
	if _, _, _, err := RotateEncoded([]byte("no image"), 90); err == nil {
		t.Fatal("garbage accepted")
	}
}
