package probe

import (
	"fmt"
	"net"
	"strconv"
)

// checkAddress rejects what cannot be a HOST:PORT to connect to, so a
// hand-built monitor fails in New rather than on every check.
func checkAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return fmt.Errorf("address %q must be HOST:PORT", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %q must have a port from 1 to 65535", addr)
	}
	return nil
}
