package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Link tokens: "PURPOSE.ID.EXPIRY.SIG", signed with HMAC-SHA256 under a key
// kept in the database. Confirmation links expire; manage and unsubscribe
// links do not (they are in every message a subscriber keeps).
const (
	purposeConfirm = "c"
	purposeManage  = "m"
)

// ErrBadToken is returned for a link token that is malformed, forged or expired.
var ErrBadToken = errors.New("this link is not valid or has expired")

type signer struct{ key []byte }

func (s signer) sign(purpose string, id int64, exp time.Time) string {
	e := int64(0)
	if !exp.IsZero() {
		e = exp.Unix()
	}
	body := purpose + "." + strconv.FormatInt(id, 10) + "." + strconv.FormatInt(e, 10)
	return body + "." + s.mac(body)
}

func (s signer) mac(body string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// verify checks a token for purpose and returns the subscriber id.
func (s signer) verify(token, purpose string, now time.Time) (int64, error) {
	if len(token) > 200 {
		return 0, ErrBadToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != purpose {
		return 0, ErrBadToken
	}
	body := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(s.mac(body))) {
		return 0, ErrBadToken
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrBadToken
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return 0, ErrBadToken
	}
	if exp != 0 && now.Unix() > exp {
		return 0, fmt.Errorf("%w (confirmation links last %s; subscribe again for a new one)", ErrBadToken, confirmTTL)
	}
	return id, nil
}
