package api

import (
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// MaxImportBody is the largest customer CSV the API takes in one request.
const MaxImportBody = 64 << 20

// Notify serves the admin API's subscribers, deliveries (the dead-letter
// list among them) and customers.
type Notify struct {
	a   *Admin
	n   *notify.Notifier
	dir *customers.Directory
}

// RegisterNotify adds the subscriber, delivery and customer routes to mux,
// behind the same token checks as the rest of /api/v1/.
func (a *Admin) RegisterNotify(mux Mux, n *notify.Notifier, dir *customers.Directory) {
	h := &Notify{a: a, n: n, dir: dir}
	r := func(pattern string, fn handler) { mux.Handle(pattern, a.auth(service.ScopeRead, fn)) }
	w := func(pattern string, fn handler) { mux.Handle(pattern, a.auth(service.ScopeWrite, fn)) }
	r("GET /api/v1/subscribers", h.listSubscribers)
	w("POST /api/v1/subscribers", h.addSubscriber)
	r("GET /api/v1/subscribers/{id}", h.getSubscriber)
	w("DELETE /api/v1/subscribers/{id}", h.deleteSubscriber)
	r("GET /api/v1/deliveries", h.listDeliveries)
	r("GET /api/v1/deliveries/dead", h.listDead)
	w("POST /api/v1/deliveries/{id}/retry", h.retryDelivery)
	r("GET /api/v1/customers", h.countCustomers)
	w("POST /api/v1/customers/import", h.importCustomers)
	r("GET /api/v1/customers/{domain}", h.getCustomer)
	w("DELETE /api/v1/customers/{domain}", h.deleteCustomer)
	r("GET /api/v1/reports", h.getReport)
	w("POST /api/v1/channels/{name}/test", h.testChannel)
}

type subscriberJSON struct {
	ID             int64    `json:"id"`
	Kind           string   `json:"kind"`
	Address        string   `json:"address"`
	Everything     bool     `json:"everything"`
	Components     []string `json:"components"`
	Operator       bool     `json:"operator"`
	State          string   `json:"state"`
	ConfirmedAt    *string  `json:"confirmed_at"`
	UnsubscribedAt *string  `json:"unsubscribed_at"`
	CreatedAt      string   `json:"created_at"`
	Secret         string   `json:"secret,omitempty"`
}

func subscriberOut(s *store.Subscriber) subscriberJSON {
	out := subscriberJSON{ID: s.ID, Kind: s.Kind, Address: s.Address, Everything: s.All, Components: s.Components,
		Operator: s.Operator, ConfirmedAt: timePtr(s.ConfirmedAt), UnsubscribedAt: timePtr(s.UnsubscribedAt),
		CreatedAt: s.CreatedAt.UTC().Format(time.RFC3339)}
	if out.Components == nil {
		out.Components = []string{}
	}
	switch {
	case !s.UnsubscribedAt.IsZero():
		out.State = "unsubscribed"
	case s.ConfirmedAt.IsZero():
		out.State = "pending"
	default:
		out.State = "active"
	}
	return out
}

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

var subscriberKinds = notify.SubscriberKinds

func afterParam(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("after")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("after must be an id (a whole number)")
	}
	return n, nil
}

func (h *Notify) listSubscribers(w http.ResponseWriter, r *http.Request, _ string) error {
	kind := r.URL.Query().Get("kind")
	if kind != "" && !slices.Contains(subscriberKinds, kind) {
		return badRequest("kind must be %s", strings.Join(subscriberKinds, ", "))
	}
	after, err := afterParam(r)
	if err != nil {
		return err
	}
	limit, err := queryLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	list, err := h.n.Store().Subscribers(r.Context(), store.SubscriberFilter{Kind: kind, AfterID: after, Limit: limit})
	if err != nil {
		return err
	}
	counts, err := h.n.Store().CountSubscribers(r.Context())
	if err != nil {
		return err
	}
	out := make([]subscriberJSON, 0, len(list))
	for i := range list {
		out = append(out, subscriberOut(&list[i]))
	}
	resp := map[string]any{"subscribers": out,
		"counts": map[string]int{"active": counts.Active, "pending": counts.Pending, "unsubscribed": counts.Unsubscribed}}
	if len(list) == limit {
		resp["next_after"] = list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type subscriberReq struct {
	Kind       string   `json:"kind"`
	Address    string   `json:"address"`
	Components []string `json:"components"`
	Secret     string   `json:"secret"`
}

func (h *Notify) addSubscriber(w http.ResponseWriter, r *http.Request, actor string) error {
	var req subscriberReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if req.Kind == "" {
		return badRequest("kind is required (%s)", strings.Join(subscriberKinds, ", "))
	}
	s, err := h.n.AddSubscriber(r.Context(), actor, req.Kind, req.Address, req.Secret, req.Components)
	if err != nil {
		return err
	}
	out := subscriberOut(s)
	if s.Kind == store.SubWebhook {
		out.Secret = s.Secret // shown once, so the receiver can verify signatures
	}
	code := http.StatusCreated
	if s.Kind == store.SubEmail {
		code = http.StatusAccepted // pending until the address confirms
	}
	writeJSON(w, code, map[string]any{"subscriber": out})
	return nil
}

func (h *Notify) getSubscriber(w http.ResponseWriter, r *http.Request, _ string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	s, err := h.n.Store().Subscriber(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriber": subscriberOut(s)})
	return nil
}

func (h *Notify) deleteSubscriber(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.n.DeleteSubscriber(r.Context(), actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type deliveryJSON struct {
	ID           int64   `json:"id"`
	EventID      int64   `json:"event_id"`
	Event        string  `json:"event"`
	Subject      string  `json:"subject"`
	SubscriberID int64   `json:"subscriber_id"`
	Kind         string  `json:"kind"`
	Address      string  `json:"address"`
	State        string  `json:"state"`
	Attempts     int     `json:"attempts"`
	LastError    string  `json:"last_error"`
	NextAt       string  `json:"next_at"`
	SentAt       *string `json:"sent_at"`
	CreatedAt    string  `json:"created_at"`
}

var deliveryStates = []string{store.DeliveryQueued, store.DeliverySending, store.DeliverySent, store.DeliveryDead, store.DeliveryCancelled}

func (h *Notify) deliveries(w http.ResponseWriter, r *http.Request, state string) error {
	q := r.URL.Query()
	f := store.DeliveryFilter{State: state}
	if f.State == "" {
		f.State = q.Get("state")
		if f.State != "" && !slices.Contains(deliveryStates, f.State) {
			return badRequest("state must be %s", strings.Join(deliveryStates, ", "))
		}
	}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"event", &f.EventID}, {"subscriber", &f.SubscriberID}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return badRequest("%s must be an id", p.name)
			}
			*p.to = n
		}
	}
	var err error
	if f.AfterID, err = afterParam(r); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(r, 100, 1000); err != nil {
		return err
	}
	list, err := h.n.Store().Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, 0, len(list))
	for _, d := range list {
		out = append(out, deliveryOut(d))
	}
	counts, err := h.n.Store().DeliveryCounts(r.Context(), f.EventID)
	if err != nil {
		return err
	}
	resp := map[string]any{"deliveries": out, "counts": counts}
	if len(list) == f.Limit {
		resp["next_after"] = list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func deliveryOut(d store.DeliveryInfo) deliveryJSON {
	return deliveryJSON{ID: d.ID, EventID: d.EventID, Event: d.EventKind, Subject: d.Subject, SubscriberID: d.SubscriberID,
		Kind: d.Kind, Address: d.Address, State: d.State, Attempts: d.Attempts, LastError: d.LastError,
		NextAt: d.NextAt.Format(time.RFC3339), SentAt: timePtr(d.SentAt), CreatedAt: d.CreatedAt.Format(time.RFC3339)}
}

// testChannel queues a test message to a configured operator channel; the
// deliveries it answers with are followed at GET /api/v1/deliveries?event=ID.
func (h *Notify) testChannel(w http.ResponseWriter, r *http.Request, actor string) error {
	list, err := h.n.TestChannel(r.Context(), actor, r.PathValue("name"))
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, 0, len(list))
	for _, d := range list {
		out = append(out, deliveryOut(d))
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"channel": r.PathValue("name"), "deliveries": out})
	return nil
}

func (h *Notify) listDeliveries(w http.ResponseWriter, r *http.Request, _ string) error {
	return h.deliveries(w, r, "")
}

func (h *Notify) listDead(w http.ResponseWriter, r *http.Request, _ string) error {
	return h.deliveries(w, r, store.DeliveryDead)
}

func (h *Notify) retryDelivery(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.n.RetryDelivery(r.Context(), actor, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"retried": id})
	return nil
}

func (h *Notify) countCustomers(w http.ResponseWriter, r *http.Request, _ string) error {
	n, err := h.n.Store().CountCustomers(r.Context())
	if err != nil {
		return err
	}
	// A count only: the list is never exposed, not even to operators through the API.
	writeJSON(w, http.StatusOK, map[string]any{"count": n})
	return nil
}

func (h *Notify) importCustomers(w http.ResponseWriter, r *http.Request, actor string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "text/csv" {
		return &apiError{http.StatusUnsupportedMediaType, "send the customer list as text/csv: domain,group rows"}
	}
	groups := map[string]bool{}
	for _, g := range h.a.svc.Catalog().Groups {
		if g.RemovedAt.IsZero() {
			groups[g.ID] = true
		}
	}
	body := http.MaxBytesReader(w, r.Body, MaxImportBody)
	res, err := h.dir.Import(r.Context(), actor, body, customers.ImportOptions{Groups: groups})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{http.StatusRequestEntityTooLarge, "the CSV is larger than 64 MiB; use herald customers import FILE"}
		}
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rows": res.Rows, "domains": res.Domains})
	return nil
}

type customerJSON struct {
	Domain    string `json:"domain"`
	Group     string `json:"group"`
	UpdatedAt string `json:"updated_at"`
}

func (h *Notify) getCustomer(w http.ResponseWriter, r *http.Request, _ string) error {
	c, err := h.dir.Lookup(r.Context(), r.PathValue("domain"))
	if errors.Is(err, customers.ErrUnknown) {
		return &apiError{http.StatusNotFound, "no customer with this domain"}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": customerJSON{c.Domain, c.GroupID, c.UpdatedAt.Format(time.RFC3339)}})
	return nil
}

func (h *Notify) deleteCustomer(w http.ResponseWriter, r *http.Request, actor string) error {
	if _, err := customers.Normalize(r.PathValue("domain")); err != nil {
		return badRequest("%s", err.Error())
	}
	if err := h.dir.Delete(r.Context(), actor, r.PathValue("domain")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
