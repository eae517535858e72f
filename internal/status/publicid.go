package status

import "strconv"

// The ids Herald's records have where Statuspage's shapes show them (the v2
// API and the webhook payloads): one home, so that a client that keys
// what it reads by id finds the same object in both.
//
// Statuspage keeps scheduled maintenances as incidents, so its ids are
// unique across both lists and clients key them together (summary.json
// puts them side by side); Herald numbers incidents and windows apart, so a
// window's id carries an "m" to keep incident 7 and window 7 distinct. A
// window's updates are prefixed alike.

// PublicIncidentID is an incident's (or an incident update's) public id: its number.
func PublicIncidentID(id int64) string { return strconv.FormatInt(id, 10) }

// PublicMaintenanceID is a window's (or a window update's) public id: "m" and its number.
func PublicMaintenanceID(id int64) string { return "m" + strconv.FormatInt(id, 10) }
