package config

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// brandDir writes a configuration with brand files beside it and returns its path.
func brandDir(t *testing.T, page string, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "herald.yaml")
	text := "page:\n  title: Example Hosting Status\n  zone: UTC\n" + page + "groups:\n  - id: flexo\n    components:\n      - id: web\n        name: Web sites\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBrandLoads(t *testing.T) {
	svg, err := os.ReadFile("testdata/brand/logo.svg")
	if err != nil {
		t.Fatal(err)
	}
	path := brandDir(t, `  logo:
    light: brand/logo.svg
    dark: brand/logo-dark.png
    alt: " Example Hosting "
  favicon: brand/favicon.png
  accent: "#0a66c2"
  css: brand/page.css
  footer:
    - text: Terms of service
      url: https://example.net/terms
    - text: Support
      url: mailto:support@example.net
`, map[string][]byte{"brand/logo.svg": svg, "brand/logo-dark.png": pngOf(t, 240, 64), "brand/favicon.png": pngOf(t, 32, 32),
		"brand/page.css": []byte("header.site { background: url(data:image/png;base64,AAAA) }\n.brand { content: \"\\201C\" }\n")})
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	b := c.Page.Brand()
	if b.Logo == nil || b.Logo.Type != "image/svg+xml" || b.Logo.Width != 120 || b.Logo.Height != 32 || !bytes.Equal(b.Logo.Data, svg) {
		t.Errorf("logo = %+v", b.Logo)
	}
	if b.LogoDark == nil || b.LogoDark.Type != "image/png" || b.LogoDark.Width != 240 || b.LogoDark.Height != 64 {
		t.Errorf("dark logo = %+v", b.LogoDark)
	}
	if b.LogoAlt != "Example Hosting" {
		t.Errorf("alt = %q", b.LogoAlt)
	}
	if b.Favicon == nil || b.Favicon.Ext != "png" {
		t.Errorf("favicon = %+v", b.Favicon)
	}
	// #0a66c2 is readable on the light scheme's backgrounds, not on the dark ones.
	if b.AccentLight != "#0a66c2" || b.AccentDark == "" || b.AccentDark == "#0a66c2" {
		t.Errorf("accent = %s / %s", b.AccentLight, b.AccentDark)
	}
	if len(b.Footer) != 2 || b.Footer[1].URL != "mailto:support@example.net" {
		t.Errorf("footer = %+v", b.Footer)
	}
	if !bytes.Contains(b.CSS, []byte("header.site")) {
		t.Errorf("css = %q", b.CSS)
	}
	w := c.Warnings()
	if len(w) != 1 || w[0].Line != 9 || !strings.Contains(w[0].Msg, "warning: page.accent #0a66c2 has") ||
		!strings.Contains(w[0].Msg, "the dark scheme uses "+b.AccentDark) || !strings.Contains(w[0].Msg, "set page.accent_dark") {
		t.Errorf("warnings = %v", w)
	}
}

func TestBrandNone(t *testing.T) {
	c, err := Load(brandDir(t, "", nil))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Page.Brand(); b.Logo != nil || b.AccentLight != "" || b.CSS != nil || len(c.Warnings()) != 0 {
		t.Errorf("brand without keys = %+v, warnings %v", b, c.Warnings())
	}
}

func TestBrandAccentAdjusted(t *testing.T) {
	c, err := Load(brandDir(t, "  accent: \"#ffcc00\"\n  accent_dark: \"#ffcc00\"\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	b := c.Page.Brand()
	if b.AccentLight == "#ffcc00" || b.AccentDark != "#ffcc00" {
		t.Errorf("accent = %s / %s; want the light one darkened, the dark one kept", b.AccentLight, b.AccentDark)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0].Msg, "the light scheme uses "+b.AccentLight) {
		t.Errorf("warnings = %v", w)
	}
}

func TestBrandLimits(t *testing.T) {
	big := append(pngOf(t, 4, 4), make([]byte, maxBrandImage)...)
	for _, tc := range []struct {
		name, page string
		files      map[string][]byte
		want       string
	}{
		{"large logo", "  logo: {light: big.png}\n", map[string][]byte{"big.png": big}, "page.logo.light: big.png is larger than 256 KiB"},
		{"large css", "  css: big.css\n", map[string][]byte{"big.css": bytes.Repeat([]byte("a{}\n"), maxBrandCSS/4+1)}, "page.css: big.css is larger than 64 KiB"},
		{"ico logo", "  logo: {light: l.ico}\n", map[string][]byte{"l.ico": {0, 0, 1, 0, 1, 0, 16, 16}}, "must be PNG, SVG or WebP: its content is ICO"},
		{"entity", "  favicon: f.svg\n", map[string][]byte{"f.svg": []byte(`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>`)}, "declares entities"},
		{"style import", "  favicon: f.svg\n", map[string][]byte{"f.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://x.example/a.css);</style></svg>`)}, "loads another file"},
		{"style url", "  favicon: f.svg\n", map[string][]byte{"f.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://x.example/#p)"/></svg>`)}, "loads another file"},
		{"not svg root", "  favicon: f.svg\n", map[string][]byte{"f.svg": []byte(`<html><svg/></html>`)}, "root element is <html>"},
		{"css comment hides nothing", "  css: c.css\n", map[string][]byte{"c.css": []byte("a { b: 1 }\n/* two\nlines */ @im\\70ort 'x.css';\n")}, "c.css line 3: @import is not allowed"},
		{"image-set", "  css: c.css\n", map[string][]byte{"c.css": []byte("a { background: image-set(\"https://x.example/a.png\" 1x) }")}, "image-set() is not allowed"},
		{"footer http without host", "  footer: [{text: a, url: \"https:/x\"}]\n", nil, `page.footer[0].url "https:/x" must be an absolute http, https or mailto address`},
		{"accent_dark alone", "  accent_dark: \"#ffffff\"\n", nil, "page.accent is required with page.accent_dark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(brandDir(t, tc.page, tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// An SVG that keeps to itself (internal references, local url(#id)) loads.
func TestBrandSVGLocalReferences(t *testing.T) {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64px" height="16px">
<defs><linearGradient id="g"><stop offset="0" stop-color="#0a66c2"/></linearGradient><path id="p" d="M0 0h4v4z"/></defs>
<style>.a { fill: url(#g) }</style><use xlink:href="#p"/><rect class="a" fill="url('#g')" width="4" height="4"/></svg>`
	c, err := Load(brandDir(t, "  logo: {light: l.svg}\n", map[string][]byte{"l.svg": []byte(svg)}))
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Page.Brand().Logo; l.Width != 64 || l.Height != 16 {
		t.Errorf("size = %dx%d, want 64x16", l.Width, l.Height)
	}
}

// FuzzStylesheetCheck: whatever a stylesheet holds, the check ends, and one
// it takes has, once escapes and comments are read, no @import and no
// url() but data: URLs.
func FuzzStylesheetCheck(f *testing.F) {
	for _, s := range []string{"a{}", "@import 'x';", "a{b:u\\72l(http://x)}", "/* @import */ a{}", "a{background:url( data:image/png;base64,AA)}",
		"\\40 import 'x'", "a{b:url(\"data:x\") url(x)}", "/* unclosed"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, css string) {
		v := &validator{file: filepath.Join(t.TempDir(), "h.yaml")}
		if err := os.WriteFile(filepath.Join(filepath.Dir(v.file), "c.css"), []byte(css), 0o644); err != nil {
			t.Fatal(err)
		}
		if v.stylesheet("page.css", "c.css") == nil {
			return
		}
		plain := strings.ToLower(unescapeCSS(css))
		if strings.Contains(plain, "@import") {
			t.Errorf("took %q, which imports", css)
		}
		for i := strings.Index(plain, "url("); i >= 0; i = strings.Index(plain, "url(") {
			if !isDataURL(plain[i+4:]) {
				t.Errorf("took %q, whose url() is no data: URL", css)
				return
			}
			plain = plain[i+4:]
		}
	})
}

// FuzzSVGCheck: whatever an SVG holds, the check ends, and one it takes has
// no script element and no event attribute.
func FuzzSVGCheck(f *testing.F) {
	for _, s := range []string{`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`, `<svg><script>x</script></svg>`,
		`<svg onload="x"/>`, `<svg><a href="javascript:x"><rect/></a></svg>`, `<svg><SCRIPT/></svg>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, svg string) {
		if _, _, err := checkSVG([]byte(svg)); err != nil {
			return
		}
		// Read again on its own: no element that runs, no event attribute.
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			tok, err := dec.Token()
			if err != nil {
				return
			}
			if el, ok := tok.(xml.StartElement); ok {
				if n := strings.ToLower(el.Name.Local); n == "script" || n == "foreignobject" {
					t.Errorf("took %q, with a <%s>", svg, n)
				}
				for _, a := range el.Attr {
					if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
						t.Errorf("took %q, with %s", svg, a.Name.Local)
					}
				}
			}
		}
	})
}
