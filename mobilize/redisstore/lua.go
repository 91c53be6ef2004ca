package redisstore

import (
	_ "embed"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The Lua libraries: top-level locals that the scripts joined after them
// call. Redis runs one chunk per script, so a script carries the source of
// every library it needs, and only those (lua_test.go checks each list).

//go:embed lua/index_lib.lua
var indexLibSrc string

//go:embed lua/recognition_lib.lua
var recognitionLibSrc string

//go:embed lua/supplies_lib.lua
var suppliesLibSrc string

//go:embed lua/fairload_lib.lua
var fairloadLibSrc string

//go:embed lua/mobilize_lib.lua
var mobilizeLibSrc string

// luaLib is one library and the libraries it calls itself, which must
// come before it in every script that includes it.
type luaLib struct {
	name  string
	src   string
	needs []*luaLib
}

var (
	indexLib       = &luaLib{name: "index_lib", src: indexLibSrc}
	recognitionLib = &luaLib{name: "recognition_lib", src: recognitionLibSrc, needs: []*luaLib{indexLib}}
	suppliesLib    = &luaLib{name: "supplies_lib", src: suppliesLibSrc}
	fairloadLib    = &luaLib{name: "fairload_lib", src: fairloadLibSrc}
	mobilizeLib    = &luaLib{name: "mobilize_lib", src: mobilizeLibSrc,
		needs: []*luaLib{indexLib, recognitionLib, suppliesLib, fairloadLib}}
)

// luaScript is a script as built: its file, body and libraries.
type luaScript struct {
	file string
	body string
	libs []*luaLib
}

// luaScripts lists every script built by newScript, for the test of the
// library lists.
var luaScripts []luaScript

// joinLua is the source Redis runs: the libraries in the order given,
// then the body.
func joinLua(body string, libs ...*luaLib) string {
	parts := make([]string, 0, len(libs)+1)
	for _, l := range libs {
		parts = append(parts, l.src)
	}
	return strings.Join(append(parts, body), "\n")
}

// newScript builds the script of lua/<file> from its body and exactly the
// libraries it includes, in dependency order.
func newScript(file, body string, libs ...*luaLib) *redis.Script {
	luaScripts = append(luaScripts, luaScript{file: file, body: body, libs: libs})
	return redis.NewScript(joinLua(body, libs...))
}
