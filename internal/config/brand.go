package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/colour"
)

// Brand is what a page's brand keys loaded: files read and checked, and
// the accent colours as the page uses them. The pages serve the files as
// they are, at addresses named by their content.
type Brand struct {
	Logo, LogoDark *Image // LogoDark only with Logo
	LogoAlt        string
	Favicon        *Image
	// AccentLight and AccentDark are the accent in each scheme, readable
	// there (#rrggbb), or "" for Herald's own.
	AccentLight, AccentDark string
	Footer                  []FooterLink
	// CSS is the operator's stylesheet, checked to load nothing.
	CSS []byte
	// Sum names the whole brand by its content (files and colours), so
	// that its addresses change when it does and can be cached for good.
	Sum string
}

// Image is a file of the brand, its type found from its content.
type Image struct {
	Data []byte
	Type string // image/png, image/svg+xml, image/webp or image/x-icon
	Ext  string // png, svg, webp or ico
	// Width and Height are its size (for an SVG, its viewBox's), 0 when
	// the file does not say.
	Width, Height int
	// Sum names the file by its content.
	Sum string
}

// Brand is what the page's brand keys loaded; the zero Brand (Herald's own
// look) when it has none.
func (p Page) Brand() Brand {
	if p.brand == nil {
		return Brand{}
	}
	return *p.brand
}

// sum names data by its content, in twelve hex digits.
func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:6])
}

// Size limits of the brand's files: a page carries them to every visitor.
const (
	maxBrandImage = 256 << 10
	maxBrandCSS   = 64 << 10
)

// Accent contrast policies.
const (
	AccentAdjust = "adjust"
	AccentStrict = "strict"
)

// brand checks and loads page's brand keys; at is the page's path ("page").
func (v *validator) brand(at string, p *Page) {
	b := &Brand{}
	set := false
	if p.Logo != nil {
		set = true
		if p.Logo.Light == "" {
			v.addf(at+".logo", "%s.logo.light is required: the logo's file for the light scheme (PNG, SVG or WebP)", at)
		} else {
			b.Logo = v.image(at+".logo.light", p.Logo.Light, "png", "svg", "webp")
		}
		if p.Logo.Dark != "" {
			b.LogoDark = v.image(at+".logo.dark", p.Logo.Dark, "png", "svg", "webp")
		}
		b.LogoAlt = strings.TrimSpace(p.Logo.Alt)
		if utf8.RuneCountInString(b.LogoAlt) > 200 {
			v.addf(at+".logo.alt", "%s.logo.alt is longer than 200 characters; say what the logo says, like the company's name", at)
		}
	}
	if p.Favicon != "" {
		set = true
		b.Favicon = v.image(at+".favicon", p.Favicon, "png", "ico", "svg", "webp")
	}
	if p.Accent != "" || p.AccentDark != "" || p.AccentContrast != "" {
		set = true
		v.accent(at, p, b)
	}
	for i, l := range p.Footer {
		set = true
		lp := fmt.Sprintf("%s.footer[%d]", at, i)
		text := strings.TrimSpace(l.Text)
		switch n := utf8.RuneCountInString(text); {
		case n == 0:
			v.addf(lp, "%s.text is required: the link's words", lp)
		case n > 80:
			v.addf(lp+".text", "%s.text is longer than 80 characters", lp)
		}
		if msg := checkFooterURL(l.URL); msg != "" {
			v.addf(lp+".url", "%s.url %q %s", lp, l.URL, msg)
		}
		b.Footer = append(b.Footer, FooterLink{Text: text, URL: strings.TrimSpace(l.URL)})
	}
	if len(p.Footer) > 12 {
		v.addf(at+".footer", "%s.footer has %d links; at most 12 fit a footer", at, len(p.Footer))
	}
	if p.CSS != "" {
		set = true
		b.CSS = v.stylesheet(at+".css", p.CSS)
	}
	if set {
		h := sha256.New()
		for _, img := range []*Image{b.Logo, b.LogoDark, b.Favicon} {
			if img != nil {
				h.Write([]byte(img.Sum))
			}
			h.Write([]byte{0})
		}
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00", b.AccentLight, b.AccentDark, len(b.CSS))
		h.Write(b.CSS)
		b.Sum = hex.EncodeToString(h.Sum(nil)[:6])
		p.brand = b
	}
}

// accent reads the accent colours and makes them readable, or refuses
// them when the page asks for strict contrast.
func (v *validator) accent(at string, p *Page, b *Brand) {
	strict := false
	switch p.AccentContrast {
	case "", AccentAdjust:
	case AccentStrict:
		strict = true
	default:
		v.addf(at+".accent_contrast", "%s.accent_contrast %q must be adjust (the default: a colour too faint is made readable) or strict (it is refused)", at, p.AccentContrast)
	}
	var light colour.RGB
	if p.Accent == "" {
		v.addf(at+".accent", "%s.accent is required with %s.accent_dark or %s.accent_contrast: the colour of links in the light scheme, like \"#0a66c2\"", at, at, at)
		return
	}
	light, err := colour.Parse(p.Accent)
	if err != nil {
		v.addf(at+".accent", "%s.accent: %v", at, err)
		return
	}
	b.AccentLight = v.readable(at+".accent", light, colour.Light, strict, "")
	if p.AccentDark == "" {
		if strict && colour.AccentContrast(light, colour.Dark) < colour.MinContrast {
			v.addf(at+".accent", "%s.accent %s has %.1f:1 against the dark scheme's backgrounds, below 4.5:1, and %s.accent_contrast is strict: set %s.accent_dark to a lighter colour (%s would do)",
				at, light, colour.AccentContrast(light, colour.Dark), at, at, mustReadable(light, colour.Dark))
			return
		}
		b.AccentDark = v.readable(at+".accent", light, colour.Dark, false, at+".accent_dark")
		return
	}
	dark, err := colour.Parse(p.AccentDark)
	if err != nil {
		v.addf(at+".accent_dark", "%s.accent_dark: %v", at, err)
		return
	}
	b.AccentDark = v.readable(at+".accent_dark", dark, colour.Dark, strict, "")
}

func mustReadable(c colour.RGB, s colour.Scheme) colour.RGB {
	out, _ := colour.Readable(c, s)
	return out
}

// readable is c made readable in scheme s: unchanged when it is, else
// refused (strict) or adjusted with a warning naming the colour used. set,
// when given, is the key that would choose the colour instead.
func (v *validator) readable(path string, c colour.RGB, s colour.Scheme, strict bool, set string) string {
	ratio := colour.AccentContrast(c, s)
	if ratio >= colour.MinContrast {
		return c.String()
	}
	out, _ := colour.Readable(c, s)
	if strict {
		way := "darker"
		if s.Name == colour.Dark.Name {
			way = "lighter"
		}
		v.addf(path, "%s %s has %.1f:1 against the %s scheme's backgrounds, below 4.5:1, and accent_contrast is strict: choose a %s colour (%s would do)",
			path, c, ratio, s.Name, way, out)
		return ""
	}
	how := ""
	if set != "" {
		how = "; set " + set + " to choose it yourself"
	}
	v.warnf(path, "%s %s has %.1f:1 against the %s scheme's backgrounds, below 4.5:1: the %s scheme uses %s instead (%.1f:1)%s",
		path, c, ratio, s.Name, s.Name, out, colour.AccentContrast(out, s), how)
	return out.String()
}

// checkFooterURL returns what is wrong with a footer link's address, or "".
func checkFooterURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	const want = "must be an absolute http, https or mailto address"
	switch {
	case raw == "" || err != nil || strings.ContainsAny(raw, " \t\r\n<>\"'`"):
		return want
	case u.Scheme == "http" || u.Scheme == "https":
		if u.Host == "" || u.Hostname() == "" {
			return want
		}
	case u.Scheme == "mailto":
		if u.Opaque == "" || !strings.Contains(u.Opaque, "@") {
			return want
		}
	default:
		return want
	}
	return ""
}

// readBrandFile reads a file of the brand, at most limit bytes, relative to
// the configuration's directory.
func (v *validator) readBrandFile(path, name string, limit int) ([]byte, bool) {
	full := name
	if !filepath.IsAbs(full) {
		full = filepath.Join(filepath.Dir(v.file), name)
	}
	f, err := os.Open(full)
	if err != nil {
		v.addf(path, "%s: cannot read %s: %v", path, full, unwrapPath(err))
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	switch {
	case err != nil:
		v.addf(path, "%s: cannot read %s: %v", path, full, unwrapPath(err))
		return nil, false
	case len(data) > limit:
		v.addf(path, "%s: %s is larger than %d KiB; every visitor loads it", path, name, limit>>10)
		return nil, false
	case len(data) == 0:
		v.addf(path, "%s: %s is empty", path, name)
		return nil, false
	}
	return data, true
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var imageNames = map[string]string{"png": "PNG", "svg": "SVG", "webp": "WebP", "ico": "ICO"}

var imageTypes = map[string]string{"png": "image/png", "svg": "image/svg+xml", "webp": "image/webp", "ico": "image/x-icon"}

// image reads an image of one of the kinds, found from its content.
func (v *validator) image(path, name string, kinds ...string) *Image {
	data, ok := v.readBrandFile(path, name, maxBrandImage)
	if !ok {
		return nil
	}
	ext := sniffImage(data)
	found := false
	for _, k := range kinds {
		found = found || k == ext
	}
	if !found {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = imageNames[k]
		}
		want := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
		found := "its content is no image Herald knows"
		if ext != "" {
			found = "its content is " + imageNames[ext]
		}
		v.addf(path, "%s: %s must be %s: %s", path, name, want, found)
		return nil
	}
	img := &Image{Data: data, Type: imageTypes[ext], Ext: ext, Sum: sum(data)}
	var err error
	switch ext {
	case "svg":
		img.Width, img.Height, err = checkSVG(data)
	case "png":
		cfg, perr := png.DecodeConfig(bytes.NewReader(data))
		if perr != nil {
			err = errors.New("its PNG header cannot be read")
		}
		img.Width, img.Height = cfg.Width, cfg.Height
	case "webp":
		img.Width, img.Height = webpSize(data)
	}
	if err != nil {
		v.addf(path, "%s: %s: %v", path, name, err)
		return nil
	}
	return img
}

// sniffImage names an image's kind from its first bytes, or "".
func sniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	case len(data) >= 6 && bytes.Equal(data[:4], []byte{0, 0, 1, 0}) && binary.LittleEndian.Uint16(data[4:]) > 0:
		return "ico"
	}
	head := bytes.TrimLeft(bytes.TrimPrefix(data[:min(len(data), 4096)], []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(head, []byte("<")) && bytes.Contains(head, []byte("<svg")) {
		return "svg"
	}
	return ""
}

// webpSize reads a WebP's canvas size from its first chunk.
func webpSize(d []byte) (int, int) {
	if len(d) < 30 {
		return 0, 0
	}
	switch string(d[12:16]) {
	case "VP8X":
		w := int(d[24]) | int(d[25])<<8 | int(d[26])<<16
		h := int(d[27]) | int(d[28])<<8 | int(d[29])<<16
		return w + 1, h + 1
	case "VP8L":
		b := binary.LittleEndian.Uint32(d[21:25])
		return int(b&0x3fff) + 1, int(b>>14&0x3fff) + 1
	case "VP8 ":
		return int(binary.LittleEndian.Uint16(d[26:28]) & 0x3fff), int(binary.LittleEndian.Uint16(d[28:30]) & 0x3fff)
	}
	return 0, 0
}

// An operator's SVG is shown only as an image (an <img>, which runs no
// script and loads nothing), and served with a policy that forbids both
// should anyone open it on its own. A copy of the site on a plain file
// server has no such policy, so the file is refused outright when it holds
// anything that could run or load: scripts, event attributes, embedded
// documents, references to other files, entity declarations.
var (
	svgBanned = map[string]bool{"script": true, "foreignobject": true, "iframe": true, "embed": true,
		"object": true, "audio": true, "video": true, "handler": true, "listener": true}
	cssFetch = regexp.MustCompile(`(?i)@import|url\s*\(|image-set\s*\(|image\s*\(|src\s*\(`)
)

// checkSVG returns the SVG's size (its viewBox's, else width and height)
// or what in it is refused.
func checkSVG(data []byte) (w, h int, err error) {
	if !utf8.Valid(data) {
		return 0, 0, errors.New("the SVG is not UTF-8 text")
	}
	if bytes.Contains(bytes.ToUpper(data), []byte("<!ENTITY")) {
		return 0, 0, errors.New("the SVG declares entities; save it without a DOCTYPE")
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("the SVG is not well-formed XML (%v)", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			if depth == 0 {
				if name != "svg" {
					return 0, 0, fmt.Errorf("the file's root element is <%s>, not <svg>", t.Name.Local)
				}
				w, h = svgSize(t.Attr)
			}
			depth++
			if svgBanned[name] {
				return 0, 0, fmt.Errorf("the SVG holds a <%s> element; a logo must not run or embed anything: remove it", t.Name.Local)
			}
			for _, a := range t.Attr {
				if err := checkSVGAttr(t.Name.Local, a); err != nil {
					return 0, 0, err
				}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if cssFetch.Match(t) && !onlyLocalURLs(t) {
				return 0, 0, errors.New("the SVG's style loads another file (@import or url()); a logo must load nothing: remove it")
			}
		case xml.ProcInst:
			if t.Target != "xml" {
				return 0, 0, fmt.Errorf("the SVG holds a <?%s?> instruction; remove it", t.Target)
			}
		}
	}
	if depth != 0 || w < 0 {
		return 0, 0, errors.New("the SVG is not well-formed XML")
	}
	return w, h, nil
}

func checkSVGAttr(elem string, a xml.Attr) error {
	name := strings.ToLower(a.Name.Local)
	val := strings.TrimSpace(a.Value)
	switch {
	case strings.HasPrefix(name, "on"):
		return fmt.Errorf("the SVG's <%s> has an %s attribute (a script); remove it", elem, a.Name.Local)
	case name == "href" || name == "src":
		if !strings.HasPrefix(val, "#") {
			return fmt.Errorf("the SVG's <%s> refers to %q; a logo must load nothing: only references within the file (#id) are kept", elem, val)
		}
	case cssFetch.MatchString(val) && !onlyLocalURLs([]byte(val)):
		return fmt.Errorf("the SVG's <%s> %s loads another file; only url(#id) within the file is kept", elem, a.Name.Local)
	}
	return nil
}

// localURL is a reference within the file: url(#id).
var localURL = regexp.MustCompile(`(?i)url\(\s*['"]?#[^)'"]*['"]?\s*\)`)

// onlyLocalURLs says whether every fetching construct in s is a url(#id).
func onlyLocalURLs(s []byte) bool {
	return !cssFetch.Match(localURL.ReplaceAll(s, nil))
}

// svgSize reads the root element's viewBox, else its width and height in
// plain numbers or px.
func svgSize(attrs []xml.Attr) (int, int) {
	var w, h float64
	for _, a := range attrs {
		switch strings.ToLower(a.Name.Local) {
		case "viewbox":
			f := strings.FieldsFunc(a.Value, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
			if len(f) == 4 {
				vw, e1 := strconv.ParseFloat(f[2], 64)
				vh, e2 := strconv.ParseFloat(f[3], 64)
				if e1 == nil && e2 == nil && vw > 0 && vh > 0 {
					return int(vw + 0.5), int(vh + 0.5)
				}
			}
		case "width":
			w, _ = strconv.ParseFloat(strings.TrimSuffix(a.Value, "px"), 64)
		case "height":
			h, _ = strconv.ParseFloat(strings.TrimSuffix(a.Value, "px"), 64)
		}
	}
	if w > 0 && h > 0 {
		return int(w + 0.5), int(h + 0.5)
	}
	return 0, 0
}

// stylesheet reads the operator's stylesheet and refuses one that would
// load anything (the pages load nothing from anywhere but themselves; a
// copy on another host has no policy to stop it): @import, and url() or
// image-set() that is not a data: URL. CSS escapes are read first, so that
// u\72l( is seen as url(.
func (v *validator) stylesheet(path, name string) []byte {
	data, ok := v.readBrandFile(path, name, maxBrandCSS)
	if !ok {
		return nil
	}
	if !utf8.Valid(data) {
		v.addf(path, "%s: %s is not UTF-8 text", path, name)
		return nil
	}
	plain := unescapeCSS(string(data))
	if i := strings.Index(strings.ToLower(plain), "</style"); i >= 0 {
		v.addf(path, "%s: %s holds \"</style\"; a stylesheet has no HTML", path, name)
		return nil
	}
	for _, m := range cssFetch.FindAllStringIndex(plain, -1) {
		what := strings.ToLower(strings.Join(strings.Fields(plain[m[0]:m[1]]), ""))
		if what != "@import" && isDataURL(plain[m[1]:]) {
			continue
		}
		line := 1 + strings.Count(plain[:m[0]], "\n")
		v.addf(path, "%s: %s line %d: %s is not allowed: the page loads nothing from other places; put the rules in this file, and images as data: URLs", path, name, line, strings.Replace(what, "(", "()", 1))
		return nil
	}
	return data
}

// isDataURL says whether the argument that starts rest is a data: URL.
func isDataURL(rest string) bool {
	rest = strings.TrimLeft(rest, " \t\r\n\f\"'")
	return len(rest) >= 5 && strings.EqualFold(rest[:5], "data:")
}

// unescapeCSS replaces CSS escapes (\75 or \u) with what they stand for,
// and drops comments, so that what a browser reads is what is checked.
func unescapeCSS(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' && i+1 < len(s) && s[i+1] == '*' {
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				break
			}
			// Newlines are kept, so that lines are counted as written.
			b.WriteString(strings.Repeat("\n", strings.Count(s[i:i+end+4], "\n")))
			i += end + 3
			continue
		}
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(s) && j < i+7 && isHex(s[j]) {
			j++
		}
		if j == i+1 { // \ and any other character: that character
			b.WriteByte(s[j])
			i = j
			continue
		}
		n, _ := strconv.ParseUint(s[i+1:j], 16, 32)
		if n == 0 || n > utf8.MaxRune {
			n = utf8.RuneError
		}
		b.WriteRune(rune(n))
		if j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
			j++
		}
		i = j - 1
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
