package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Languages the UI speaks. Every key must exist in each; a test checks.
const (
	langEN = "en"
	langZH = "zh-CN"
)

var catalog = map[string]map[string]string{
	langEN: {
		"app":                    "Strongroom",
		"tagline":                "A CRM that keeps customer data safe.",
		"login":                  "Log in",
		"logout":                 "Log out",
		"email":                  "Email",
		"password":               "Password",
		"customers":              "Customers",
		"audit":                  "Audit log",
		"new_customer":           "New customer",
		"search":                 "Search",
		"search_hint":            "Exact email or phone number",
		"clear":                  "Clear",
		"name":                   "Name",
		"phone":                  "Phone",
		"national_id":            "National ID",
		"notes":                  "Notes",
		"assessment":             "Assessment (special category)",
		"owner":                  "Owner",
		"created":                "Created",
		"updated":                "Updated",
		"edit":                   "Edit",
		"save":                   "Save",
		"cancel":                 "Cancel",
		"delete":                 "Delete",
		"delete_confirm":         "Delete this customer and destroy their encryption key? This cannot be undone.",
		"next_page":              "Next page",
		"no_customers":           "No customers found.",
		"no_events":              "No events.",
		"masked_note":            "Masked: your role may not see this field in full.",
		"time":                   "Time",
		"actor":                  "Actor",
		"action":                 "Action",
		"object":                 "Object",
		"fields":                 "Fields",
		"outcome":                "Outcome",
		"filter":                 "Filter",
		"language":               "中文",
		"error":                  "Something went wrong",
		"back":                   "Back",
		"customer_saved":         "Customer saved.",
		"customer_deleted":       "Customer deleted.",
		"logged_out":             "You have logged out.",
		"optional":               "optional",
		"form_expired":           "This form has expired. Please try again.",
		"session_ended":          "Your session has ended. Please log in again.",
		"audit_hint":             "Every read, change and login, in order. Values are never logged, only field names.",
		"actor_id":               "Actor id",
		"object_id":              "Object id",
		"skip":                   "Skip to content",
		"signed_in_as":           "Signed in as",
		"customer_not_seen":      "Fields your role may not see are not shown.",
		"import":                 "Import CSV",
		"import_hint":            "Columns are recognised by their headers: name (or first and last name), email, phone, national_id, notes, and the headers of Salesforce and HubSpot contact exports. Rows whose email or phone you already have are skipped.",
		"import_dry_run":         "Check only (dry run): store nothing",
		"import_partial":         "Store the valid rows even if some are invalid",
		"import_file":            "CSV file",
		"import_done":            "Imported.",
		"import_dry":             "Checked; nothing was stored.",
		"import_refused":         "Nothing was stored, because some rows are invalid. Fix them, or allow a partial import.",
		"import_rows":            "Rows",
		"import_created":         "Created",
		"import_duplicates":      "Duplicates skipped",
		"import_invalid":         "Invalid rows",
		"import_columns":         "Columns used",
		"import_line":            "Line",
		"import_problem":         "Problem",
		"export":                 "Export CSV",
		"deals":                  "Deals",
		"pipeline":               "Pipeline",
		"stage":                  "Stage",
		"total":                  "Total",
		"weighted":               "Weighted",
		"no_deals":               "No deals.",
		"deal_title":             "Deal",
		"amount":                 "Amount",
		"currency":               "Currency",
		"new_deal":               "Open a deal",
		"move_to":                "Move to",
		"move":                   "Move",
		"deal_saved":             "Deal opened.",
		"deal_moved":             "Deal moved.",
		"companies":              "Companies",
		"new_company":            "New company",
		"company_name":           "Name",
		"company_address":        "Address",
		"company_phone":          "Phone",
		"company_notes":          "Notes",
		"company":                "Company",
		"store":                  "Store",
		"is_store":               "This is a store (visited by field reps; needs an address)",
		"stores_only":            "Stores only",
		"all_companies":          "All companies",
		"no_companies":           "No companies found.",
		"people":                 "People",
		"company_saved":          "Company saved.",
		"company_deleted":        "Company deleted.",
		"delete_company_confirm": "Delete this company and destroy its encryption key? Its people stay, unlinked.",
		"no_company":             "No company",
		"activities":             "Activities",
		"log_activity":           "Log an activity",
		"kind":                   "Kind",
		"subject":                "Subject",
		"body":                   "Details",
		"due":                    "Due",
		"log":                    "Log",
		"no_activities":          "No activities yet.",
		"call":                   "Call",
		"meeting":                "Meeting",
		"note":                   "Note",
		"task":                   "Task",
		"mark_done":              "Done",
		"reopen":                 "Reopen",
		"done":                   "done",
		"dashboard":              "Dashboard",
		"my_tasks":               "My open tasks",
		"no_tasks":               "No open tasks.",
		"activity_logged":        "Activity logged.",
		"task_updated":           "Task updated.",
		"reveal":                 "Reveal",
		"reveal_reason":          "Reason for revealing (kept in the audit log)",
		"revealed_note":          "Revealed; the reason was recorded in the audit log.",
	},
	langZH: {
		"app":                    "Strongroom 保险库",
		"tagline":                "守护客户数据安全的 CRM。",
		"login":                  "登录",
		"logout":                 "退出",
		"email":                  "电子邮箱",
		"password":               "密码",
		"customers":              "客户",
		"audit":                  "审计日志",
		"new_customer":           "新建客户",
		"search":                 "搜索",
		"search_hint":            "完整的邮箱或电话号码",
		"clear":                  "清除",
		"name":                   "姓名",
		"phone":                  "电话",
		"national_id":            "身份证号",
		"notes":                  "备注",
		"assessment":             "评估（特殊类别）",
		"owner":                  "负责人",
		"created":                "创建时间",
		"updated":                "更新时间",
		"edit":                   "编辑",
		"save":                   "保存",
		"cancel":                 "取消",
		"delete":                 "删除",
		"delete_confirm":         "删除该客户并销毁其加密密钥？此操作无法撤销。",
		"next_page":              "下一页",
		"no_customers":           "未找到客户。",
		"no_events":              "没有事件。",
		"masked_note":            "已脱敏：您的角色无权查看完整内容。",
		"time":                   "时间",
		"actor":                  "操作人",
		"action":                 "操作",
		"object":                 "对象",
		"fields":                 "字段",
		"outcome":                "结果",
		"filter":                 "筛选",
		"language":               "English",
		"error":                  "出错了",
		"back":                   "返回",
		"customer_saved":         "客户已保存。",
		"customer_deleted":       "客户已删除。",
		"logged_out":             "您已退出登录。",
		"optional":               "选填",
		"form_expired":           "表单已过期，请重试。",
		"session_ended":          "会话已结束，请重新登录。",
		"audit_hint":             "按顺序记录每一次读取、修改和登录。只记录字段名，从不记录字段值。",
		"actor_id":               "操作人 ID",
		"object_id":              "对象 ID",
		"skip":                   "跳到正文",
		"signed_in_as":           "当前用户",
		"customer_not_seen":      "您的角色无权查看的字段不会显示。",
		"import":                 "导入 CSV",
		"import_hint":            "按表头识别列：姓名（或名和姓）、电子邮箱、电话、身份证号、备注，以及 Salesforce 和 HubSpot 联系人导出的表头。邮箱或电话已存在的行会被跳过。",
		"import_dry_run":         "仅检查（试运行）：不保存任何数据",
		"import_partial":         "即使部分行无效，也保存有效的行",
		"import_file":            "CSV 文件",
		"import_done":            "已导入。",
		"import_dry":             "已检查，未保存任何数据。",
		"import_refused":         "由于部分行无效，未保存任何数据。请修正后重试，或允许部分导入。",
		"import_rows":            "行数",
		"import_created":         "已创建",
		"import_duplicates":      "已跳过的重复项",
		"import_invalid":         "无效行",
		"import_columns":         "使用的列",
		"import_line":            "行号",
		"import_problem":         "问题",
		"export":                 "导出 CSV",
		"deals":                  "商机",
		"pipeline":               "销售漏斗",
		"stage":                  "阶段",
		"total":                  "合计",
		"weighted":               "加权合计",
		"no_deals":               "暂无商机。",
		"deal_title":             "商机",
		"amount":                 "金额",
		"currency":               "币种",
		"new_deal":               "新建商机",
		"move_to":                "移至",
		"move":                   "移动",
		"deal_saved":             "商机已创建。",
		"deal_moved":             "商机已移动。",
		"companies":              "公司",
		"new_company":            "新建公司",
		"company_name":           "名称",
		"company_address":        "地址",
		"company_phone":          "电话",
		"company_notes":          "备注",
		"company":                "公司",
		"store":                  "门店",
		"is_store":               "这是门店（外勤人员拜访；需要地址）",
		"stores_only":            "仅显示门店",
		"all_companies":          "全部公司",
		"no_companies":           "未找到公司。",
		"people":                 "联系人",
		"company_saved":          "公司已保存。",
		"company_deleted":        "公司已删除。",
		"delete_company_confirm": "删除该公司并销毁其加密密钥？其联系人将保留，但不再关联。",
		"no_company":             "无公司",
		"activities":             "跟进记录",
		"log_activity":           "记录跟进",
		"kind":                   "类型",
		"subject":                "主题",
		"body":                   "详情",
		"due":                    "截止日期",
		"log":                    "记录",
		"no_activities":          "暂无跟进记录。",
		"call":                   "电话",
		"meeting":                "会面",
		"note":                   "备注",
		"task":                   "任务",
		"mark_done":              "完成",
		"reopen":                 "重新打开",
		"done":                   "已完成",
		"dashboard":              "工作台",
		"my_tasks":               "我的待办任务",
		"no_tasks":               "没有待办任务。",
		"activity_logged":        "已记录跟进。",
		"task_updated":           "任务已更新。",
		"reveal":                 "查看完整内容",
		"reveal_reason":          "查看理由（将记录在审计日志中）",
		"revealed_note":          "已显示完整内容；理由已记录在审计日志中。",
	},
}

// tr translates key into lang; a missing key shows itself, so that it is
// noticed, and a test keeps the catalogs complete.
func tr(lang, key string) string {
	if v, ok := catalog[lang][key]; ok {
		return v
	}
	return key
}

// language picks the UI language: the lang cookie when set, else the
// browser's Accept-Language.
func language(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && (c.Value == langEN || c.Value == langZH) {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return langZH
		case strings.HasPrefix(tag, "en"):
			return langEN
		}
	}
	return langEN
}

var zhLoc = time.FixedZone("CST", 8*3600)

// formatDate shows the day of t for lang.
func formatDate(lang string, t *time.Time) string {
	if t == nil {
		return ""
	}
	if lang == langZH {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return t.Format("2 Jan 2006")
}

// formatTime shows t for lang: "24 Nov 2026 14:05 UTC" or "2026年11月24日 22:05".
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if lang == langZH {
		t = t.In(zhLoc)
		return fmt.Sprintf("%d年%d月%d日 %02d:%02d", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute())
	}
	return t.UTC().Format("2 Jan 2006 15:04 MST")
}
