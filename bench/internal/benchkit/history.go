package benchkit

// The words of the seeded histories (bench/pageseed, bench/scalerun): what
// a hosting provider's incidents and maintenance windows say, "%s" standing
// for a server or what it serves.

var (
	WebTitles = []string{
		"Web sites on %s unavailable", "Web sites on %s slow", "Intermittent errors on %s Web sites",
		"%s Web server restarting", "PHP sites on %s returning errors", "Slow page loads on %s",
		"HTTPS certificate errors on %s", "Database connection errors for sites on %s",
	}
	MailTitles = []string{
		"Incoming mail delayed on %s", "Outgoing mail delayed on %s", "IMAP logins failing on %s",
		"%s mail server unreachable", "Webmail unavailable on %s", "Spam filtering delays on %s",
	}
	NetworkTitles = []string{
		"Network connectivity problems", "Packet loss in the data center", "DNS resolution failures",
		"Network attack: some servers unreachable", "Upstream provider outage",
	}
	Investigating = []string{
		"We are investigating reports of problems with %s.",
		"Our monitoring shows %s is not responding normally. We are investigating.",
		"Some customers report errors from %s. We are looking into it now.",
		"We are aware of a problem affecting %s and are investigating.",
	}
	Identified = []string{
		"We have identified the cause: a disk on the server filled up with log files. We are freeing space now.",
		"The problem is a failed network switch port. We are moving the server's connection to a spare port.",
		"A software update left a service misconfigured. We are rolling it back.",
		"One of the server's RAID disks failed and the array is rebuilding, which slows everything down. We are limiting the rebuild speed.",
		"We traced the problem to a runaway process using all available memory. We have stopped it and are restarting the affected services.",
		"Our upstream network provider has confirmed a fault on one of their routers and is rerouting traffic.",
	}
	Recovering = []string{
		"A fix has been applied and service is recovering. We are monitoring the results.",
		"Service has been restored. We are watching the server closely to make sure the problem does not come back.",
		"Delayed work is being processed now; everything should be back to normal within a few minutes.",
	}
	Resolved = []string{
		"This incident has been resolved. We apologize for the inconvenience.",
		"Service was interrupted for %s. Everything is operating normally again, and no data was lost.",
		"All services are operating normally. We sincerely apologize for the trouble this caused.",
		"The problem has been fixed and all delayed mail has been delivered. Customers do not need to take any action.",
	}
)

// MaintTitles are maintenance windows' titles and bodies.
var MaintTitles = []struct{ Title, Body string }{
	{"Server restarts for a kernel update", "The %s will be restarted to install an updated kernel. Service will be unavailable for approximately five minutes. No e-mail will be lost; incoming mail will just be slightly delayed."},
	{"Disk replacement", "We will replace a disk in the RAID array of the %s. Service may be slow while the array rebuilds."},
	{"Network equipment upgrade", "We are upgrading the network switches that serve the %s. Expect a few short interruptions of a minute or less."},
	{"Database server upgrade", "We will upgrade the MySQL database server used by the %s. Sites using a database will be unavailable for up to fifteen minutes."},
	{"Mail server software update", "We will update the mail server software on the %s. Incoming mail will be queued and delivered after the update."},
}
