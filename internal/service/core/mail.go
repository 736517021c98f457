package core

import (
	"strings"
	"text/template"
	"time"

	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/zone"
)

// Mailer takes messages to send in the background. *mail.Queue is one.
type Mailer interface {
	Enqueue(m mail.Message) bool
}

// mailTexts are the emails Strongroom sends, per locale: subject, then body.
var mailTexts = map[string]map[string][2]string{
	"approval": {
		"en": {"An access request waits for your decision",
			"Hello,\n\n{{.Inviter}} asks to {{.Role}}. Their reason is in the request. Approve or reject it in your approvals inbox:\n\n{{.Link}}\n\nThe request expires if nobody decides within 24 hours.\n"},
		"zh-CN": {"有访问申请等待您审批",
			"您好：\n\n{{.Inviter}} 申请{{.Role}}。理由见申请内容。请在审批收件箱中批准或拒绝：\n\n{{.Link}}\n\n24 小时内无人处理，申请将过期。\n"},
	},
	"decided": {
		"en": {"Your access request was decided",
			"Hello,\n\nYour request to {{.Role}} was {{.Inviter}}. See it in your approvals inbox:\n\n{{.Link}}\n"},
		"zh-CN": {"您的访问申请已有结果",
			"您好：\n\n您申请{{.Role}}的请求已{{.Inviter}}。请在审批收件箱查看：\n\n{{.Link}}\n"},
	},
	"breakglass": {
		"en": {"ALERT: a record was opened by break-glass",
			"Hello,\n\n{{.Inviter}} opened {{.Role}} by break-glass at {{.When}} from {{.IP}}, for 30 minutes. Review it now and close the review item in your approvals inbox:\n\n{{.Link}}\n"},
		"zh-CN": {"警报：有人以紧急方式打开了记录",
			"您好：\n\n{{.Inviter}} 于 {{.When}} 从 {{.IP}} 以紧急方式（break-glass）打开了{{.Role}}，有效 30 分钟。请立即审查，并在审批收件箱中关闭该审查项：\n\n{{.Link}}\n"},
	},
	"locked": {
		"en": {"Your Strongroom account is locked for 30 minutes",
			"Hello,\n\nThere were {{.Count}} failed attempts in a row to log in to your Strongroom account, the last at {{.When}} from {{.IP}}. To protect it, logging in is blocked until {{.Until}}.\n\nIf this was you, wait and try again, or reset your password: {{.Link}}\nIf it was not you, tell your administrator: someone may be guessing your password.\n"},
		"zh-CN": {"您的 Strongroom 账户已锁定 30 分钟",
			"您好：\n\n您的 Strongroom 账户连续 {{.Count}} 次登录失败，最近一次在 {{.When}}，来自 {{.IP}}。为保护账户，在 {{.Until}} 之前无法登录。\n\n如果是您本人，请稍后再试，或重置密码：{{.Link}}\n如果不是您本人，请告知管理员：可能有人在猜测您的密码。\n"},
	},
	"reset": {
		"en": {"Reset your Strongroom password",
			"Hello,\n\nSomeone (we hope you) asked to reset the password of your Strongroom account from {{.IP}} at {{.When}}. To choose a new password, open this link within 30 minutes; it works once:\n\n{{.Link}}\n\nYour second factor is still asked for when you log in. If you did not ask, ignore this email: your password stays as it is.\n"},
		"zh-CN": {"重置您的 Strongroom 密码",
			"您好：\n\n有人（希望是您）于 {{.When}} 从 {{.IP}} 请求重置您的 Strongroom 账户密码。请在 30 分钟内打开以下链接设置新密码，链接只能使用一次：\n\n{{.Link}}\n\n登录时仍需第二重验证。如果不是您本人的请求，请忽略此邮件，密码不会改变。\n"},
	},
	"privacy_request": {
		"en": {"Confirm your request about your personal data",
			"Hello,\n\nSomeone (we hope you) asked us on our privacy page, from {{.IP}} at {{.When}}, for: {{.Role}}. To confirm that it is you and send the request, open this link within 24 hours; it works once:\n\n{{.Link}}\n\nWe answer within the time the law gives us. If you did not ask, ignore this email: nothing happens.\n"},
		"zh-CN": {"请确认您关于个人信息的请求",
			"您好：\n\n有人（希望是您）于 {{.When}} 从 {{.IP}} 在我们的隐私页面提出了以下请求：{{.Role}}。为确认是您本人并提交请求，请在 24 小时内打开以下链接，链接只能使用一次：\n\n{{.Link}}\n\n我们会在法律规定的期限内答复。如果不是您本人的请求，请忽略此邮件，什么都不会发生。\n"},
	},
	"request_assigned": {
		"en": {"A data-subject request is assigned to you",
			"Hello,\n\nThe data-subject request {{.Ref}} ({{.Kind}} under {{.Law}}) is assigned to you. It is due on {{.Until}}. Open it here:\n\n{{.Link}}\n"},
		"zh-CN": {"有一项个人信息主体请求分配给您",
			"您好：\n\n个人信息主体请求 {{.Ref}}（{{.Kind}}，依据 {{.Law}}）已分配给您，截止日期为 {{.Until}}。请在此处打开：\n\n{{.Link}}\n"},
	},
	"request_due": {
		"en": {"A data-subject request is due soon or overdue",
			"Hello,\n\nThe data-subject request {{.Ref}} ({{.Kind}} under {{.Law}}), assigned to you, is due on {{.Until}}. Open it here:\n\n{{.Link}}\n"},
		"zh-CN": {"有一项个人信息主体请求即将到期或已逾期",
			"您好：\n\n分配给您的个人信息主体请求 {{.Ref}}（{{.Kind}}，依据 {{.Law}}）截止日期为 {{.Until}}。请在此处打开：\n\n{{.Link}}\n"},
	},
	"invite": {
		"en": {"You are invited to Strongroom",
			"Hello,\n\n{{.Inviter}} has invited you to Strongroom, the customer records of your organisation, with the role {{.Role}}. To accept, open this link within 7 days and choose a password; it works once:\n\n{{.Link}}\n\nYou will then be asked to read the security policy and, if your role requires it, to set up two-step login.\n"},
		"zh-CN": {"邀请您加入 Strongroom",
			"您好：\n\n{{.Inviter}} 邀请您加入 Strongroom（贵机构的客户资料系统），角色为 {{.Role}}。请在 7 天内打开以下链接并设置密码，链接只能使用一次：\n\n{{.Link}}\n\n之后系统会请您阅读安全政策，并按角色要求设置两步登录。\n"},
	},
}

// MailData fills a mail text.
type MailData struct {
	Count   int
	When    string
	Until   string
	IP      string
	Link    string
	Inviter string
	Role    string
	// A data-subject request's reference, kind and law (never personal data).
	Ref, Kind, Law string
}

// ComposeMail renders the kind of email in locale (English when unknown).
func ComposeMail(kind, locale, to string, d MailData) mail.Message {
	texts := mailTexts[kind]
	t, ok := texts[locale]
	if !ok {
		t = texts["en"]
	}
	var b strings.Builder
	template.Must(template.New(kind).Parse(t[1])).Execute(&b, d)
	return mail.Message{To: to, Subject: t[0], Body: b.String()}
}

// MailTime writes t for an email to someone without an account (a
// privacy request): ISO date and time in UTC, which it says.
func MailTime(t time.Time) string { return zone.For("", "", zone.FormatISO).Time(t) }

// MailTimeFor writes t for an email to user u: in the zone and format u
// chose, in u's language, with the zone's offset ("2026年11月24日 22:05 UTC+8").
func MailTimeFor(u store.UserRow, t time.Time) string {
	return zone.For(u.Locale, u.TimeZone, u.TimeFormat).Time(t)
}
