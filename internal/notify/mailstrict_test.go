package notify_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// mailBody is Markdown with what an update typically holds: emphasis, a
// list, a link; the text part must read without its markup.
const mailBody = "We are **investigating** reports that sites on flexo time out.\n\n" +
	"- HTTP: affected\n- E-mail: *not* affected\n\nSee [the runbook](https://example.net/runbook)."

// kindMail is one message Herald sends, named by its kind.
type kindMail struct {
	kind string
	data []byte
	// subscriber: a customer's notice (one-click unsubscribe); confirm: a
	// confirmation request; else an operator alert.
	subscriber, confirm bool
}

// everyKindOfMail makes Herald send one message of every kind it sends,
// through the loopback SMTP sink, and returns them as received.
func everyKindOfMail(t *testing.T, b storetest.Backend) []kindMail {
	t.Helper()
	e := setup(t, b, notify.Options{})
	ctx := t.Context()
	if err := e.n.SyncChannels(ctx, config.Config{Channels: []config.Channel{{Name: "ops", Type: "email", To: []string{"ops@example.net"}}}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.InsertConfirmedEmails(ctx, []string{"bob@example.net"}, nil, t0); err != nil {
		t.Fatal(err)
	}
	var out []kindMail
	seen := 0
	take := func(kind, to string, subscriber, confirm bool) {
		t.Helper()
		e.drain(t)
		msgs := e.sink.Messages()
		var got []kindMail
		for _, m := range msgs[seen:] {
			for _, rcpt := range m.To {
				if rcpt == to {
					got = append(got, kindMail{kind: kind, data: m.Data, subscriber: subscriber, confirm: confirm})
				}
			}
		}
		seen = len(msgs)
		if len(got) != 1 {
			t.Fatalf("%s: %s got %d messages, want 1", kind, to, len(got))
		}
		out = append(out, got[0])
	}

	if err := e.n.SubscribeEmail(ctx, notify.ActorForm, "ann@example.net", []string{"flexo"}); err != nil {
		t.Fatal(err)
	}
	take("confirmation", "ann@example.net", false, true)

	in, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo interrupted", Status: status.Investigating,
		Body: mailBody, Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}, StartedAt: t0.Add(-4 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	take("incident-created", "bob@example.net", true, false)
	if _, err := e.svc.PostIncidentUpdate(ctx, "test", in.ID, service.IncidentUpdate{Status: status.Identified, Body: mailBody}); err != nil {
		t.Fatal(err)
	}
	take("incident-updated", "bob@example.net", true, false)
	if _, err := e.svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: mailBody}); err != nil {
		t.Fatal(err)
	}
	take("incident-resolved", "bob@example.net", true, false)

	start := t0.Add(30 * time.Hour)
	m, err := e.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update on flexo", Body: mailBody,
		Components: []string{"flexo/web", "flexo/email"}, Start: start, End: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	take("maintenance-scheduled", "bob@example.net", true, false)
	if _, err := e.svc.PostMaintenanceUpdate(ctx, "test", m.ID, mailBody); err != nil {
		t.Fatal(err)
	}
	take("maintenance-updated", "bob@example.net", true, false)
	moved := start.Add(time.Hour)
	if _, err := e.svc.EditMaintenance(ctx, "test", m.ID, service.MaintenanceEdit{Start: &moved}); err != nil {
		t.Fatal(err)
	}
	take("maintenance-moved", "bob@example.net", true, false)
	moved = start
	if _, err := e.svc.EditMaintenance(ctx, "test", m.ID, service.MaintenanceEdit{Start: &moved}); err != nil {
		t.Fatal(err)
	}
	take("maintenance-moved-back", "bob@example.net", true, false)
	out = out[:len(out)-1]
	e.clock.Add(7 * time.Hour) // 23 hours before the start
	if n, err := e.n.QueueReminders(ctx); err != nil || n != 1 {
		t.Fatalf("QueueReminders = %d, %v; want 1", n, err)
	}
	take("maintenance-reminder", "bob@example.net", true, false)
	e.clock.Add(23*time.Hour + time.Minute)
	if n, err := e.svc.AdvanceMaintenance(ctx); err != nil || n != 1 {
		t.Fatalf("AdvanceMaintenance = %d, %v; want the start", n, err)
	}
	take("maintenance-started", "bob@example.net", true, false)
	if _, err := e.svc.CompleteMaintenance(ctx, "test", m.ID, mailBody); err != nil {
		t.Fatal(err)
	}
	take("maintenance-completed", "bob@example.net", true, false)
	m2, err := e.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Disk swap on mom", Body: mailBody,
		Components: []string{"flexo/email"}, Start: e.clock.Now().Add(72 * time.Hour), End: e.clock.Now().Add(73 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	take("maintenance-scheduled-2", "bob@example.net", true, false)
	out = out[:len(out)-1]
	if _, err := e.svc.CancelMaintenance(ctx, "test", m2.ID, mailBody); err != nil {
		t.Fatal(err)
	}
	take("maintenance-cancelled", "bob@example.net", true, false)

	if err := e.st.Tx(ctx, func(q *store.Queries) error {
		return e.n.AlertOperators(ctx, q, "outage:1", "flexo/web stopped answering", "Connection refused.", []string{"flexo/web"})
	}); err != nil {
		t.Fatal(err)
	}
	take("operator-alert", "ops@example.net", false, false)
	return out
}

var (
	// msgIDRe is RFC 5322's msg-id in the forms Herald writes: a dot-atom
	// on the left, a dot-atom or a domain literal on the right.
	msgIDRe  = regexp.MustCompile(`^<[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+)*@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])>$`)
	listIDRe = regexp.MustCompile(`^.+ <[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+>$`)
)

// TestEveryMailStrict reads every kind of message Herald sends with strict
// parsers: net/mail and mime/multipart with RFC 5322's rules checked on
// top (one well-formed Message-ID, a Date, From and To, line lengths), and
// Python's email package with its strict policy. HERALD_MAIL_DIR=folder
// also writes them there as KIND.eml (test/mailscore scores them).
func TestEveryMailStrict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		mails := everyKindOfMail(t, b)
		for _, m := range mails {
			t.Run(m.kind, func(t *testing.T) { checkStrict(t, m) })
		}
		pythonStrict(t, mails)
		if dir := os.Getenv("HERALD_MAIL_DIR"); dir != "" && b.Name == "sqlite" {
			for _, m := range mails {
				if err := os.WriteFile(filepath.Join(dir, m.kind+".eml"), m.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func checkStrict(t *testing.T, m kindMail) {
	raw := m.data
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("no blank line between header and body")
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d characters long (RFC 5322 allows 998)", i+1, len(line))
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Error("a bare CR or LF in the message")
	}
	// Header lines stay within 78 characters where they can fold (RFC 5322
	// 2.1.1): a longer line is one unbreakable word (a long address).
	names := map[string]int{}
	for _, line := range strings.Split(string(head), "\r\n") {
		if line == "" {
			t.Error("an empty line inside the header")
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			name, _, ok := strings.Cut(line, ":")
			if !ok || strings.ContainsAny(name, " \t") {
				t.Errorf("header line %q is no field", line)
			}
			names[strings.ToLower(name)]++
		}
		value := line
		if line[0] != ' ' && line[0] != '\t' {
			_, value, _ = strings.Cut(line, ":")
		}
		if len(line) > 78 && strings.ContainsAny(strings.TrimSpace(value), " \t") {
			t.Errorf("header line of %d characters could have been folded: %q", len(line), line)
		}
	}
	for _, once := range []string{"message-id", "date", "from", "to", "subject", "mime-version", "auto-submitted", "list-id"} {
		if names[once] != 1 {
			t.Errorf("%d %s fields, want exactly 1", names[once], once)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail: %v", err)
	}
	h := msg.Header
	if id := h.Get("Message-Id"); !msgIDRe.MatchString(id) {
		t.Errorf("Message-ID %q is not <id-left@id-right>", id)
	}
	if _, err := mail.ParseDate(h.Get("Date")); err != nil {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if _, err := mail.ParseAddress(h.Get("From")); err != nil {
		t.Errorf("From %q: %v", h.Get("From"), err)
	}
	if _, err := mail.ParseAddressList(h.Get("To")); err != nil {
		t.Errorf("To %q: %v", h.Get("To"), err)
	}
	if _, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil {
		t.Errorf("Subject %q: %v", h.Get("Subject"), err)
	}
	if h.Get("Mime-Version") != "1.0" {
		t.Errorf("MIME-Version %q", h.Get("Mime-Version"))
	}
	if h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted %q, want auto-generated", h.Get("Auto-Submitted"))
	}
	if id := h.Get("List-Id"); !listIDRe.MatchString(id) || !strings.Contains(id, "Example Hosting Status") {
		t.Errorf("List-Id %q, want the page's title and <list.id>", id)
	}
	unsub, post := h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post")
	if m.subscriber != (unsub != "") || m.subscriber != (post == "List-Unsubscribe=One-Click") {
		t.Errorf("List-Unsubscribe %q, List-Unsubscribe-Post %q (a subscriber's notice: %v)", unsub, post, m.subscriber)
	}

	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative with a boundary", h.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	bodies := map[string]string{}
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("MIME structure: %v", err)
		}
		ct, cp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil || !strings.EqualFold(cp["charset"], "utf-8") {
			t.Errorf("part Content-Type %q (%v), want a charset of UTF-8", p.Header.Get("Content-Type"), err)
		}
		var dec io.Reader = p
		switch cte := strings.ToLower(p.Header.Get("Content-Transfer-Encoding")); cte {
		case "quoted-printable":
			dec = quotedprintable.NewReader(p)
		case "base64":
			dec = base64.NewDecoder(base64.StdEncoding, p)
		case "7bit", "8bit", "":
		default:
			t.Errorf("part Content-Transfer-Encoding %q", cte)
		}
		body, err := io.ReadAll(dec)
		if err != nil {
			t.Fatalf("part %s: %v", ct, err)
		}
		types = append(types, ct)
		bodies[ct] = string(body)
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v, want text/plain then its text/html alternative", types)
	}
	text, html := bodies["text/plain"], bodies["text/html"]
	if m.confirm || m.kind == "operator-alert" || m.kind == "maintenance-started" || m.kind == "maintenance-moved" {
		return
	}
	// The update's Markdown reads as text in the text part and as markup
	// in the HTML part, from the rendering stored when it was written.
	for _, want := range []string{"We are investigating reports", "- HTTP: affected", "- E-mail: not affected", "the runbook (https://example.net/runbook)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "**") || strings.Contains(text, "](") {
		t.Errorf("text part shows Markdown markup:\n%s", text)
	}
	for _, want := range []string{"<strong>investigating</strong>", "<li>HTTP: affected</li>", `href="https://example.net/runbook"`} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
}

// pythonStrict parses the messages with Python's email package under its
// strict policy, which raises on any defect it finds, headers included.
func pythonStrict(t *testing.T, mails []kindMail) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: the messages were not read by Python's strict parser")
		return
	}
	dir := t.TempDir()
	var files []string
	for _, m := range mails {
		f := filepath.Join(dir, m.kind+".eml")
		if err := os.WriteFile(f, m.data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	const script = `
import email, email.policy, sys
bad = 0
for name in sys.argv[1:]:
    try:
        m = email.message_from_bytes(open(name, "rb").read(), policy=email.policy.strict)
        for part in m.walk():
            for k, v in part.items():
                str(v)
                if getattr(v, "defects", None):
                    raise ValueError("%s: %s" % (k, v.defects))
            if not part.is_multipart():
                part.get_content()
        if m.defects:
            raise ValueError(m.defects)
    except Exception as e:
        bad += 1
        print("%s: %s: %s" % (name, type(e).__name__, e))
sys.exit(1 if bad else 0)
`
	out, err := exec.Command(py, append([]string{"-c", script}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("Python's strict parser refused messages (%v):\n%s", err, out)
	}
}
