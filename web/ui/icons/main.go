//go:build ignore

// Draws the responder app's PNG icons from the shapes of src/icon.svg (a
// dark rounded square, an amber dot and a green ring), for the manifest:
// icon-192.png and icon-512.png (purpose "any", rounded corners) and
// icon-maskable-192.png and icon-maskable-512.png (full bleed: the
// launcher cuts its own shape; the dot and ring sit well inside the
// central 80% circle a mask keeps).
//
//	cd web/ui && go run icons/main.go     (writes into src/)
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

var (
	ink   = color.NRGBA{0x1d, 0x27, 0x33, 0xff}
	amber = color.NRGBA{0xf0, 0xa0, 0x00, 0xff}
	green = color.NRGBA{0x3e, 0xcf, 0x6e, 0xff}
)

// shade is the colour of point (x, y) of the 32×32 drawing, or false
// outside it.
func shade(x, y float64, rounded bool) (color.NRGBA, bool) {
	if rounded && !inRoundedSquare(x, y, 32, 7) {
		return color.NRGBA{}, false
	}
	if d := math.Hypot(x-21, y-16); d >= 3.5 && d <= 6.5 {
		return green, true
	}
	if math.Hypot(x-11, y-16) <= 5 {
		return amber, true
	}
	return ink, true
}

func inRoundedSquare(x, y, size, r float64) bool {
	cx := math.Max(r, math.Min(size-r, x))
	cy := math.Max(r, math.Min(size-r, y))
	return math.Hypot(x-cx, y-cy) <= r
}

// draw renders at size pixels, 4×4 samples a pixel.
func draw(size int, rounded bool) *image.NRGBA {
	const n = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	scale := 32 / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					c, ok := shade((float64(px)+(float64(sx)+0.5)/n)*scale, (float64(py)+(float64(sy)+0.5)/n)*scale, rounded)
					if !ok {
						continue
					}
					r += float64(c.R)
					g += float64(c.G)
					b += float64(c.B)
					a++
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{uint8(r/a + 0.5), uint8(g/a + 0.5), uint8(b/a + 0.5), uint8(255*a/(n*n) + 0.5)})
		}
	}
	return img
}

func main() {
	for _, icon := range []struct {
		name    string
		size    int
		rounded bool
	}{
		{"icon-192.png", 192, true}, {"icon-512.png", 512, true},
		{"icon-maskable-192.png", 192, false}, {"icon-maskable-512.png", 512, false},
	} {
		f, err := os.Create(filepath.Join("src", icon.name))
		if err != nil {
			log.Fatal(err)
		}
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(f, draw(icon.size, icon.rounded)); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}
