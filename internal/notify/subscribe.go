package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// invalidf refuses a request with a message safe to show (service.Safe).
func invalidf(format string, a ...any) error { return service.Invalidf(format, a...) }

// Refusal is why the address or the choice a subscriber gave was refused,
// for a page to word in its own language: its English (the catalog's key in
// internal/locale) is the error's text, with the RefusedError's Args.
type Refusal string

// The refusals a subscription form may meet, each its English pattern.
const (
	RefusedNoAddress    Refusal = "an e-mail address is required"
	RefusedTooLong      Refusal = "that e-mail address is too long"
	RefusedNotAnAddress Refusal = "%q is not an e-mail address (write it like name@example.com)"
	RefusedTooMany      Refusal = "too many components chosen"
	RefusedUnknown      Refusal = "unknown component %s"
)

// RefusedError is a subscriber's input refused: safe to show
// (service.Safe finds the invalid-request error it wraps), with its
// Refusal and what goes in it.
type RefusedError struct {
	Refusal Refusal
	Args    []any
	err     error
}

func (e *RefusedError) Error() string { return e.err.Error() }
func (e *RefusedError) Unwrap() error { return e.err }

func refused(r Refusal, args ...any) error {
	return &RefusedError{Refusal: r, Args: args, err: invalidf(string(r), args...)}
}

// confirmEvery throttles confirmation messages to one address.
const confirmEvery = 5 * time.Minute

// CheckEmail accepts a bare e-mail address of sensible length.
func CheckEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", refused(RefusedNoAddress)
	}
	if len(s) > 254 {
		return "", refused(RefusedTooLong)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") && !strings.HasSuffix(s, "@localhost") {
		return "", refused(RefusedNotAnAddress, s)
	}
	return s, nil
}

// Components resolves what a subscriber chose: component ids ("flexo/web")
// and group ids ("flexo", meaning its components). None means everything.
func (n *Notifier) Components(ids []string) (all bool, comps []string, err error) {
	if len(ids) == 0 {
		return true, nil, nil
	}
	if len(ids) > 200 {
		return false, nil, refused(RefusedTooMany)
	}
	cat := n.svc.Catalog()
	set := map[string]bool{}
	var unknown []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if c, ok := cat.Component(id); ok && c.RemovedAt.IsZero() {
			set[id] = true
			continue
		}
		found := false
		for _, c := range cat.Active() {
			if c.GroupID == id {
				set[c.ID], found = true, true
			}
		}
		if !found {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return false, nil, refused(RefusedUnknown, strings.Join(unknown, ", "))
	}
	return false, sortedKeys(set), nil
}

// SubscribeEmail starts (or renews) an e-mail subscription with double
// opt-in: nothing changes until the confirmation link is used, so no one can
// subscribe someone else, or change someone's choice, without their say.
// It answers the same whether or not the address was known. actor says who
// asked, for the change log (ActorForm from the public form). The
// subscription is page:'s; SubscribeEmailOn makes one on another page.
func (n *Notifier) SubscribeEmail(ctx context.Context, actor, address string, choose []string) error {
	return n.SubscribeEmailOn(ctx, actor, "", address, choose)
}

// SubscribeEmailOn is SubscribeEmail on a page: page is the id of an entry
// of pages: ("" for page:). The subscription is that page's: its messages
// lead to the page's address under its title, and an address subscribed on
// two pages has a subscription on each.
func (n *Notifier) SubscribeEmailOn(ctx context.Context, actor, page, address string, choose []string) error {
	return n.SubscribeEmailScoped(ctx, actor, Scope{Page: page}, address, choose)
}

// Scope is where a subscription is made: on which page, and on a private
// page, for whom.
type Scope struct {
	// Page is the id of an entry of pages: ("" for page:).
	Page string
	// Group is the one server of a private page the visitor saw (a
	// customer's signed link or e-mail sign-in), "" for the whole page.
	// The subscription covers that server's components only and hears of
	// that server alone; "everything" is that server's components.
	Group string
	// Customer is the customer domain the visitor signed in with by e-mail
	// (with Group its server), "" for none: the subscription hears only
	// while that domain is a customer of Group.
	Customer string
}

// SubscribeEmailScoped is SubscribeEmailOn for a visitor of a private page
// who may see one of its servers (sc.Group) or the whole page. A choice
// outside sc.Group is refused as unknown, as any other unknown choice.
func (n *Notifier) SubscribeEmailScoped(ctx context.Context, actor string, sc Scope, address string, choose []string) error {
	if sc.Page != "" {
		e, ok := n.cfg().PageByID(sc.Page)
		if !ok {
			return invalidf("no page %q is configured", sc.Page)
		}
		if sc.Group != "" && (e.Private == nil || !e.Shows(sc.Group)) {
			return invalidf("the page %q has no server %q to subscribe to", sc.Page, sc.Group)
		}
	}
	if (sc.Group != "" || sc.Customer != "") && sc.Page == "" || sc.Customer != "" && sc.Group == "" {
		return invalidf("a subscription for one server is made on a private page, and a customer's for their server")
	}
	address, err := CheckEmail(address)
	if err != nil {
		return err
	}
	all, comps, err := n.Components(choose)
	if err == nil && sc.Group != "" {
		comps, err = n.within(sc.Group, all, comps)
		all = false
	}
	if err != nil {
		return err
	}
	now := n.opt.Clock.Now()
	err = n.svc.Apply(ctx, actor, "subscriber.request", func(q *store.Queries) (service.Changed, error) {
		var c service.Changed
		s, err := q.SubscriberOnPageFor(ctx, store.SubEmail, address, sc.Page, sc.Group)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s = &store.Subscriber{Kind: store.SubEmail, Address: address, All: all, Components: comps, Page: sc.Page,
				Group: sc.Group, Customer: sc.Customer, CreatedAt: now}
			if err := q.InsertSubscriber(ctx, s); err != nil {
				return c, err
			}
		case err != nil:
			return c, err
		case !s.ConfirmSentAt.IsZero() && now.Sub(s.ConfirmSentAt) < confirmEvery:
			return c, service.ErrNoChange // one was just sent; do not let the form flood an inbox
		default:
			c.Before = logView(s)
		}
		if err := n.queueConfirm(ctx, q, s, all, comps, sc.Customer, now); err != nil {
			return c, err
		}
		after := logView(s)
		after.Asked = &choice{Everything: all, Components: comps}
		c.Subject, c.After = subscriberSubject(s.ID), after
		return c, nil
	})
	if err == nil {
		n.Wake()
	}
	return err
}

// within is a choice (all, or comps) made for server group alone: group's
// components for all, else comps when each is group's; any other is
// refused as unknown.
func (n *Notifier) within(group string, all bool, comps []string) ([]string, error) {
	cat := n.svc.Catalog()
	var mine, other []string
	for _, c := range cat.Active() {
		if c.GroupID == group {
			mine = append(mine, c.ID)
		}
	}
	if all {
		sort.Strings(mine)
		return mine, nil
	}
	for _, id := range comps {
		if c, ok := cat.Component(id); !ok || c.GroupID != group {
			other = append(other, id)
		}
	}
	if len(other) > 0 {
		return nil, refused(RefusedUnknown, strings.Join(other, ", "))
	}
	return comps, nil
}

func (n *Notifier) queueConfirm(ctx context.Context, q *store.Queries, s *store.Subscriber, all bool, comps []string, customer string, now time.Time) error {
	p := Payload{Kind: KindConfirm, All: all, Components: comps, Names: n.names(comps), At: now, Customer: customer}
	var nonce [6]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	key := "confirm:" + strconv.FormatInt(s.ID, 10) + ":" + hex.EncodeToString(nonce[:])
	subject := "subscriber:" + strconv.FormatInt(s.ID, 10)
	body, err := jsonString(p)
	if err != nil {
		return err
	}
	ev := &store.Event{Key: key, Kind: KindConfirm, Subject: subject, Payload: body, CreatedAt: now}
	if _, err := q.InsertEvent(ctx, ev); err != nil {
		return err
	}
	if err := q.QueueDelivery(ctx, ev.ID, s.ID, now); err != nil {
		return err
	}
	return q.MarkConfirmSent(ctx, s.ID, now)
}

// Confirmation is what a confirmation link stands for.
type Confirmation struct {
	SubscriberID int64
	Address      string
	// Page and Group are the subscription's (store.Subscriber): where the
	// link is valid, and the one server it may cover.
	Page, Group string
	All         bool
	Names       []string
	components  []string
	customer    string
}

// PendingConfirmation reads a confirmation token without acting on it (the
// page with the button; link scanners follow GETs).
func (n *Notifier) PendingConfirmation(ctx context.Context, token string) (*Confirmation, error) {
	eventID, err := n.sign.verify(token, purposeConfirm, n.opt.Clock.Now())
	if err != nil {
		return nil, err
	}
	ev, err := n.st.Event(ctx, eventID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	sid, ok := strings.CutPrefix(ev.Subject, "subscriber:")
	id, perr := strconv.ParseInt(sid, 10, 64)
	if ev.Kind != KindConfirm || !ok || perr != nil {
		return nil, ErrBadToken
	}
	var p Payload
	if err := jsonUnmarshal(ev.Payload, &p); err != nil {
		return nil, err
	}
	s, err := n.st.Subscriber(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	return &Confirmation{SubscriberID: id, Address: s.Address, Page: s.Page, Group: s.Group, All: p.All, Names: p.Names, components: p.Components, customer: p.Customer}, nil
}

// Confirm acts on a confirmation token: the subscription takes effect with
// the choice made when it was asked for. It returns the manage token.
func (n *Notifier) Confirm(ctx context.Context, token string) (*Confirmation, string, error) {
	if err := n.st.WritesRefused(); err != nil {
		return nil, "", err // said before the link is judged: a good one works on the primary
	}
	c, err := n.PendingConfirmation(ctx, token)
	if err != nil {
		return nil, "", err
	}
	now := n.opt.Clock.Now()
	err = n.svc.Apply(ctx, ActorConfirmLink, "subscriber.confirm", func(q *store.Queries) (service.Changed, error) {
		return changeSubscriber(ctx, q, c.SubscriberID, func() error {
			if err := q.UpdateSubscription(ctx, c.SubscriberID, c.All, c.components, now); err != nil {
				return err
			}
			// The sign-in the request was made with is the one it hears for.
			if err := q.SetSubscriberCustomer(ctx, c.SubscriberID, c.customer); err != nil {
				return err
			}
			_, err := q.ConfirmSubscriber(ctx, c.SubscriberID, now)
			return err
		})
	})
	if err != nil {
		return nil, "", err
	}
	return c, n.ManageToken(c.SubscriberID), nil
}

// Subscription reads the subscriber a manage token names.
func (n *Notifier) Subscription(ctx context.Context, token string) (*store.Subscriber, error) {
	id, err := n.sign.verify(token, purposeManage, n.opt.Clock.Now())
	if err != nil {
		return nil, err
	}
	s, err := n.st.Subscriber(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err == nil && s.Operator {
		// An alert channel from the configuration is changed there, not
		// by a link: its mail carries none, and a token for it opens,
		// changes and ends nothing.
		return nil, ErrBadToken
	}
	return s, err
}

// ChangeSubscription sets what a subscriber (named by a manage token) receives.
func (n *Notifier) ChangeSubscription(ctx context.Context, token string, choose []string) (*store.Subscriber, error) {
	if err := n.st.WritesRefused(); err != nil {
		return nil, err
	}
	s, err := n.Subscription(ctx, token)
	if err != nil {
		return nil, err
	}
	all, comps, err := n.Components(choose)
	if err != nil {
		return nil, err
	}
	err = n.svc.Apply(ctx, ActorManageLink, "subscriber.choose", func(q *store.Queries) (service.Changed, error) {
		return changeSubscriber(ctx, q, s.ID, func() error {
			return q.UpdateSubscription(ctx, s.ID, all, comps, n.opt.Clock.Now())
		})
	})
	if err != nil {
		return nil, err
	}
	return n.st.Subscriber(ctx, s.ID)
}

// Unsubscribe ends the subscription a manage token names; queued messages
// are cancelled. Doing it twice is fine.
func (n *Notifier) Unsubscribe(ctx context.Context, token string) (*store.Subscriber, error) {
	if err := n.st.WritesRefused(); err != nil {
		return nil, err
	}
	s, err := n.Subscription(ctx, token)
	if err != nil {
		return nil, err
	}
	err = n.svc.Apply(ctx, ActorUnsubscribeLink, "subscriber.unsubscribe", func(q *store.Queries) (service.Changed, error) {
		return changeSubscriber(ctx, q, s.ID, func() error {
			left, err := q.Unsubscribe(ctx, s.ID, n.opt.Clock.Now())
			if err == nil && !left {
				return service.ErrNoChange // doing it twice is fine
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// AddSubscriber is the admin API's way in. E-mail goes through the same
// double opt-in as the public form. Webhook and chat subscribers are added by
// an operator who owns them: they are active at once, their URL checked
// against the address policy now and again at each delivery. A webhook
// without a secret gets one, returned in the subscriber. actor is who asks,
// for the change log.
func (n *Notifier) AddSubscriber(ctx context.Context, actor, kind, address, secret string, choose []string) (*store.Subscriber, error) {
	switch kind {
	case store.SubEmail:
		if err := n.SubscribeEmail(ctx, actor, address, choose); err != nil {
			return nil, err
		}
		return n.st.SubscriberByAddress(ctx, store.SubEmail, strings.TrimSpace(address))
	case store.SubWebhook, store.SubSlack, store.SubDiscord:
	default:
		if !IsTool(kind) {
			return nil, invalidf("kind %q is not one of %s", kind, strings.Join(SubscriberKinds, ", "))
		}
		if err := checkTool(kind, strings.TrimSpace(address), secret); err != nil {
			return nil, invalidf("%v", err)
		}
	}
	if _, err := n.dial.CheckURL(ctx, address); err != nil {
		return nil, invalidf("webhook URL refused: %v", err)
	}
	all, comps, err := n.Components(choose)
	if err != nil {
		return nil, err
	}
	if kind == store.SubWebhook && secret == "" {
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		secret = hex.EncodeToString(b[:])
	}
	if len(secret) > 500 {
		return nil, invalidf("secret is longer than 500 characters")
	}
	now := n.opt.Clock.Now()
	s := &store.Subscriber{Kind: kind, Address: strings.TrimSpace(address), Secret: secret, All: all, Components: comps,
		ConfirmedAt: now, CreatedAt: now}
	if _, err := n.st.SubscriberByAddress(ctx, kind, s.Address); err == nil {
		return nil, service.Conflictf("a %s subscriber with this URL exists", kind)
	}
	err = n.svc.Apply(ctx, actor, "subscriber.add", func(q *store.Queries) (service.Changed, error) {
		if err := q.InsertSubscriber(ctx, s); err != nil {
			return service.Changed{}, err
		}
		return service.Changed{Subject: subscriberSubject(s.ID), After: logView(s)}, nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Store is the notifier's store, for the admin API's lists.
func (n *Notifier) Store() *store.Store { return n.st }
