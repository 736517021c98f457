package phrase

// The master key's management (service/keys) and a customer's data-key
// rotation (records.Customers.RotateKey), issue 17: kept apart from zh.go
// so that work on other parts of the catalogue merges cleanly.
var zhKeys = map[string]string{
	"you may not see the master key's status":                 "您无权查看主密钥的状态",
	"only administrators manage the master key and data keys": "只有管理员可以管理主密钥和数据密钥",
	"the master key's custody could not add a term":           "主密钥的保管方无法添加新的密钥期",
	"term %d is the active term: rotate first":                "密钥期 {1} 是当前使用的密钥期：请先轮换",
	"there is no term %d":                                     "没有密钥期 {1}",
	"term %d still wraps %d data keys: run keys rewrap first": "密钥期 {1} 仍封装着 {2} 个数据密钥：请先运行 keys rewrap",
	"the master key's custody could not destroy the term":     "主密钥的保管方无法销毁该密钥期",
	"give a reason for rotating the data key":                 "请说明轮换数据密钥的原因",
	"the reason is longer than 500 characters":                "原因超过 500 个字符",
	"the customer's data key changed meanwhile: try again":    "客户的数据密钥已被同时更改：请重试",
}

func init() {
	for k, v := range zhKeys {
		zh[k] = v
	}
}
