package store

import "time"

// SetClock replaces the clock the cursor waits on gaps with.
func (c *ChangeCursor) SetClock(now func() time.Time) { c.now = now }

// After is the id up to which every change was returned or given up.
func (c *ChangeCursor) After() int64 { return c.after }
