package web

import (
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/service/keys"
)

// keysPages is the master key's page under Security.
type keysPages struct {
	*Handler
	keysSvc *keys.Keys
}

// keysView is the master key's status, with the re-wrapping's share done.
type keysView struct {
	Status  keys.Status
	Percent int    // of the re-wrapping to the active term
	TTL     string // the cache's lifetime, as a duration
}

// showKeys shows who holds the master key, its terms and how many data
// keys each wraps, the re-wrapping after a rotation, and this server's
// cache (auditors, administrators, the privacy officer). Rotation and
// retirement are commands on the host (strongroom keys …).
func (h *keysPages) showKeys(q *request) error {
	st, err := h.keysSvc.Status(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := keysView{Status: st, TTL: fmt.Sprint(st.Cache.TTL.Round(time.Second))}
	if p := st.Rewrap; p != nil && p.Total > 0 {
		v.Percent = int(p.Done * 100 / p.Total)
	} else if p != nil {
		v.Percent = 100
	}
	h.render(q, 200, "keys", "keys", v)
	return nil
}

func init() {
	for k, v := range map[string][2]string{
		"keys":                    {"Master key", "主密钥"},
		"keys_hint":               {"Who holds the master key that wraps every data key, its terms, and the re-wrapping after a rotation. Rotate, re-wrap and retire with strongroom keys on the server's host.", "谁保管封装所有数据密钥的主密钥、它的各个密钥期，以及轮换后的重新封装。请在服务器主机上用 strongroom keys 命令轮换、重新封装和退役。"},
		"keys_custody":            {"Custody", "保管方式"},
		"keys_custody_file":       {"key file in the data directory", "数据目录中的密钥文件"},
		"keys_custody_passphrase": {"derived from a passphrase (argon2id)", "由口令派生（argon2id）"},
		"keys_custody_pkcs11":     {"hardware security module (PKCS#11): the key never leaves it", "硬件安全模块（PKCS#11）：密钥从不离开模块"},
		"keys_custody_memory":     {"in memory only (tests)", "仅在内存中（测试）"},
		"keys_active_term":        {"Active term", "当前密钥期"},
		"keys_term":               {"Term", "密钥期"},
		"keys_added":              {"Added", "添加时间"},
		"keys_retired":            {"Retired", "退役时间"},
		"keys_data_keys":          {"Data keys wrapped", "封装的数据密钥"},
		"keys_active":             {"active", "当前"},
		"keys_in_use":             {"in use", "使用中"},
		"keys_rewrap":             {"Re-wrapping to the active term", "重新封装到当前密钥期"},
		"keys_rewrap_none":        {"Nothing to re-wrap: no rotation since the data keys were made.", "无需重新封装：数据密钥创建以来没有轮换。"},
		"keys_rewrap_done":        {"Finished", "已完成"},
		"keys_rewrap_running":     {"In progress", "进行中"},
		"keys_checked":            {"data keys checked", "个数据密钥已检查"},
		"keys_cache":              {"Cache of unwrapped data keys on this server", "本服务器上已解封数据密钥的缓存"},
		"keys_cache_size":         {"held", "已缓存"},
		"keys_cache_capacity":     {"at most", "最多"},
		"keys_cache_ttl":          {"kept for", "保留时长"},
		"keys_cache_hits":         {"hits", "命中"},
		"keys_cache_misses":       {"misses", "未命中"},
	} {
		catalog[langEN][k], catalog[langZH][k] = v[0], v[1]
	}
}
