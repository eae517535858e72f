package admin

import "net/http"

func (a *Admin) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /admin/static/{file}", a.serveStatic)
	m.HandleFunc("GET /admin/login", a.loginPage)
	m.HandleFunc("POST /admin/login", a.login)
	m.HandleFunc("POST /admin/login/code", a.loginCode)
	m.HandleFunc("GET /admin/oidc/start", a.ssoStart)
	m.HandleFunc("GET /admin/oidc/callback", a.ssoCallback)
	m.Handle("POST /admin/logout", a.enrolPage(a.logout))
	m.Handle("GET /admin/account/totp", a.enrolPage(a.totpPage))
	m.Handle("POST /admin/account/totp", a.enrolPage(a.totpEnable))
	m.Handle("POST /admin/account/totp/reset", a.page(anyone, a.totpReset))

	m.Handle("GET /admin", a.page(anyone, a.dashboard))
	m.Handle("GET /admin/{$}", a.page(anyone, a.dashboard))
	m.Handle("POST /admin/preview", a.page(anyone, a.preview))

	m.Handle("GET /admin/incidents", a.page(anyone, a.incidentList))
	m.Handle("GET /admin/incidents/new", a.page(editor, a.incidentNew))
	m.Handle("POST /admin/incidents", a.page(editor, a.incidentCreate))
	m.Handle("GET /admin/incidents/{id}", a.page(anyone, a.incidentEditor))
	m.Handle("POST /admin/incidents/{id}/publish", a.page(editor, a.incidentPublish))
	m.Handle("POST /admin/incidents/{id}/edit", a.page(editor, a.incidentEdit))
	m.Handle("POST /admin/incidents/{id}/update", a.page(editor, a.incidentUpdate))
	m.Handle("POST /admin/incidents/{id}/updates/{update}", a.page(editor, a.incidentUpdateEdit))
	m.Handle("POST /admin/incidents/{id}/resolve", a.page(editor, a.incidentResolve))
	m.Handle("POST /admin/incidents/{id}/postmortem", a.page(editor, a.incidentPostmortem))

	m.Handle("GET /admin/maintenance", a.page(anyone, a.maintenanceList))
	m.Handle("POST /admin/maintenance", a.page(editor, a.maintenanceCreate))
	m.Handle("GET /admin/maintenance/{id}", a.page(anyone, a.maintenanceDetail))
	m.Handle("POST /admin/maintenance/{id}/components", a.page(editor, a.maintenanceAdd))
	m.Handle("POST /admin/maintenance/{id}/update", a.page(editor, a.maintenanceUpdate))
	m.Handle("POST /admin/maintenance/{id}/complete", a.page(editor, a.maintenanceComplete))
	m.Handle("POST /admin/maintenance/{id}/cancel", a.page(editor, a.maintenanceCancel))
	m.Handle("POST /admin/maintenance/series", a.page(editor, a.seriesCreate))
	m.Handle("POST /admin/maintenance/series/{id}/end", a.page(editor, a.seriesEnd))

	m.Handle("GET /admin/monitors", a.page(anyone, a.monitors))
	m.Handle("GET /admin/agents", a.page(anyone, a.agents))
	m.Handle("GET /admin/subscribers", a.page(anyone, a.subscribers))
	m.Handle("GET /admin/subscribers.csv", a.page(admin, a.subscribersCSV))
	m.Handle("GET /admin/reports", a.page(anyone, a.reports))
	m.Handle("GET /admin/reports/view", a.page(anyone, a.reportView))
	m.Handle("GET /admin/audit", a.page(anyone, a.audit))
	m.Handle("GET /admin/audit.json", a.page(anyone, a.auditJSON))
	m.Handle("GET /admin/settings", a.page(anyone, a.settings))
	m.Handle("POST /admin/settings/channels/{name}/test", a.page(editor, a.channelTest))

	m.Handle("GET /admin/users", a.page(admin, a.users))
	m.Handle("POST /admin/users", a.page(admin, a.userAdd))
	m.Handle("POST /admin/users/{name}/role", a.page(admin, a.userRole))
	m.Handle("POST /admin/users/{name}/disable", a.page(admin, a.userDisable))
	m.Handle("POST /admin/users/{name}/enable", a.page(admin, a.userEnable))
	m.Handle("POST /admin/users/{name}/password", a.page(admin, a.userPassword))
	m.Handle("POST /admin/users/{name}/totp-reset", a.page(admin, a.totpReset))

	m.Handle("/admin/", a.page(anyone, func(w http.ResponseWriter, r *http.Request, s *session) error {
		a.fail(w, r, s, http.StatusNotFound, "There is no admin page at this address.")
		return nil
	}))
	a.mux = m
}
