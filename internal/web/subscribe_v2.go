package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/strictjson"
)

// POST /api/v2/subscribers.json is Statuspage's public subscribe call, for
// the widgets and scripts written against Statuspage. It is the page's
// subscribe form in another shape: the same rate limit, size limit and
// double opt-in (nothing is sent but the confirmation request until its
// link is followed), and the same answer whether or not the address was
// known. It takes a form (subscriber[email], subscriber[component_ids][],
// or the page form's email and component) or JSON ({"subscriber":
// {"email", "component_ids"}}, or those keys at the top). Webhook
// subscriptions (subscriber[endpoint]) cannot be confirmed by a link, so
// they are the operators' to add (POST /api/v1/subscribers); Herald has no
// subscriptions to one incident or by SMS: those fields are refused with
// 422 and a reason, and any other field with 400.

// v2Subscribe is what a subscribe call asks for, however it was sent.
type v2Subscribe struct {
	Email      string
	Components []string
}

// v2Fields maps each form field the call accepts to what it fills.
var v2Fields = map[string]string{
	"subscriber[email]": "email", "email": "email",
	"subscriber[component_ids][]": "components", "subscriber[component_ids]": "components",
	"component_ids[]": "components", "component_ids": "components", "component": "components",
}

// v2Unsupported are Statuspage's fields that Herald refuses, with why.
var v2Unsupported = map[string]string{
	"endpoint":      key("%s: webhook subscriptions are added by the page's operators (POST /api/v1/subscribers), since a webhook cannot confirm by e-mail"),
	"incident":      key("%s: subscriptions to a single incident are not offered; subscribe to its components"),
	"phone_number":  key("%s: SMS subscriptions are not offered"),
	"phone_country": key("%s: SMS subscriptions are not offered"),
}

func (s *Subscriptions) subscribeV2(w http.ResponseWriter, r *http.Request) {
	if s.subscribeLimit.Refused(w, r, s.refusals, "rate limited: subscribe") {
		writeV2(w, http.StatusTooManyRequests, map[string]string{"error": s.t(r, "too many requests from your address; wait a minute")})
		return
	}
	req, err := readV2Subscribe(w, r)
	if err != nil {
		var e *worded
		if errors.As(err, &e) {
			writeV2(w, e.code, map[string]string{"error": s.refusal(r, err, "")})
			return
		}
		writeV2(w, http.StatusBadRequest, map[string]string{"error": s.t(r, "the request could not be read")})
		return
	}
	chosen, err := s.pageChoice(r, req.Components)
	if err == nil {
		err = s.n.SubscribeEmailScoped(r.Context(), notify.ActorForm, scopeOf(r), req.Email, chosen)
	}
	if err != nil {
		if code, msg, ok := service.Safe(err); ok {
			writeV2(w, code, map[string]string{"error": s.refusal(r, err, msg)})
			return
		}
		s.log.Error("subscribe (api v2)", slog.Any("err", err))
		writeV2(w, http.StatusInternalServerError, map[string]string{"error": s.t(r, "Something went wrong on our side; please try again.")})
		return
	}
	// Statuspage answers with the subscriber; Herald's is not one until
	// it confirms, and says nothing that tells whether it was known.
	comps := req.Components
	if comps == nil {
		comps = []string{}
	}
	writeV2(w, http.StatusCreated, map[string]any{"subscriber": map[string]any{
		"mode": "email", "email": strings.TrimSpace(req.Email), "component_ids": comps, "confirmed": false,
		"created_at": s.svc.Now().UTC().Format(time.RFC3339),
		"note":       s.t(r, "A confirmation e-mail is on its way; nothing else is sent until its link is followed."),
	}})
}

func writeV2(w http.ResponseWriter, code int, v any) {
	body, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}

// readV2Subscribe reads a subscribe call strictly: at most maxForm bytes, a
// form or JSON, only the fields named above, each at most once (components
// may repeat in a form).
func readV2Subscribe(w http.ResponseWriter, r *http.Request) (v2Subscribe, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return readV2Form(w, r)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForm))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return v2Subscribe{}, refuse(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxForm)
		}
		return v2Subscribe{}, err
	}
	var sr *strictjson.Refusal
	if err := strictjson.Check(body); errors.As(err, &sr) {
		return v2Subscribe{}, refuse(http.StatusBadRequest, sr.Pattern, sr.Args...)
	} else if err != nil {
		return v2Subscribe{}, err
	}
	type fields struct {
		Email        string   `json:"email"`
		ComponentIDs []string `json:"component_ids"`
		Components   []string `json:"components"`
		Endpoint     *string  `json:"endpoint"`
		Incident     *string  `json:"incident"`
		Phone        *string  `json:"phone_number"`
		PhoneCountry *string  `json:"phone_country"`
	}
	var in struct {
		fields
		Subscriber *fields `json:"subscriber"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return v2Subscribe{}, refuse(http.StatusBadRequest, "unknown field %s", f)
		}
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
			return v2Subscribe{}, refuse(http.StatusBadRequest, "malformed JSON")
		}
		return v2Subscribe{}, refuse(http.StatusBadRequest, "the body is not the JSON object expected")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return v2Subscribe{}, refuse(http.StatusBadRequest, "unexpected data after the JSON object")
	}
	f := in.fields
	if in.Subscriber != nil {
		if f.Email != "" || f.ComponentIDs != nil || f.Components != nil {
			return v2Subscribe{}, refuse(http.StatusBadRequest, "give the subscriber's fields inside \"subscriber\" or at the top, not both")
		}
		f = *in.Subscriber
	}
	for name, set := range map[string]bool{"endpoint": f.Endpoint != nil, "incident": f.Incident != nil,
		"phone_number": f.Phone != nil, "phone_country": f.PhoneCountry != nil} {
		if set {
			return v2Subscribe{}, refuse(http.StatusUnprocessableEntity, v2Unsupported[name], name)
		}
	}
	if f.ComponentIDs != nil && f.Components != nil {
		return v2Subscribe{}, refuse(http.StatusBadRequest, "give component_ids or components, not both")
	}
	return v2Subscribe{Email: f.Email, Components: append(f.ComponentIDs, f.Components...)}, nil
}

func readV2Form(w http.ResponseWriter, r *http.Request) (v2Subscribe, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mt {
	case "application/x-www-form-urlencoded", "":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(maxForm)
	default:
		return v2Subscribe{}, refuse(http.StatusUnsupportedMediaType, "send a form (application/x-www-form-urlencoded) or application/json")
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return v2Subscribe{}, refuse(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxForm)
		}
		return v2Subscribe{}, refuse(http.StatusBadRequest, "the form could not be read")
	}
	var out v2Subscribe
	emails := 0
	keys := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vals := r.PostForm[k]
		if why, ok := v2Unsupported[strings.TrimSuffix(strings.TrimPrefix(k, "subscriber["), "]")]; ok {
			return v2Subscribe{}, refuse(http.StatusUnprocessableEntity, why, k)
		}
		switch v2Fields[k] {
		case "email":
			emails += len(vals)
			out.Email = vals[0]
		case "components":
			out.Components = append(out.Components, vals...)
		default:
			return v2Subscribe{}, refuse(http.StatusBadRequest, "unexpected form field %s", strconvQuote(k))
		}
	}
	if emails > 1 {
		return v2Subscribe{}, refuse(http.StatusBadRequest, "give one e-mail address")
	}
	return out, nil
}
