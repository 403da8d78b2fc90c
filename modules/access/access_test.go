package access

import (
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/apperr"
)

// want is the rule written out: which roles may do each action.
var want = map[Action]string{
	Read:        "owner admin editor responder viewer",
	Self:        "owner admin editor responder viewer",
	Account:     "owner admin editor responder viewer",
	Tokens:      "owner admin editor responder viewer",
	Respond:     "owner admin editor responder",
	Edit:        "owner admin editor",
	Channels:    "owner admin",
	Members:     "owner admin",
	Settings:    "owner admin",
	Audit:       "owner admin",
	DeleteSpace: "owner",
}

func TestCanEveryRoleEveryAction(t *testing.T) {
	if len(want) != len(minimum) {
		t.Fatalf("the table covers %d actions, the rule has %d", len(want), len(minimum))
	}
	for a, roles := range want {
		for _, r := range Roles {
			allowed := strings.Contains(" "+roles+" ", " "+string(r)+" ")
			if got := Can(r, a); got != allowed {
				t.Errorf("Can(%s, %s) = %v, want %v", r, a, got, allowed)
			}
		}
		if Can("", a) || Can("superuser", a) {
			t.Errorf("an unknown role may %s", a)
		}
	}
	if Can(Owner, "launch-missiles") {
		t.Error("an unknown action is allowed")
	}
	if Least(Edit) != Editor || Least("nope") != "" {
		t.Errorf("Least: %q %q", Least(Edit), Least("nope"))
	}
}

func TestRolesValidAndRanked(t *testing.T) {
	for i, r := range Roles {
		if !r.Valid() {
			t.Errorf("%s not valid", r)
		}
		if i > 0 && Roles[i-1].rank() != r.rank()+1 {
			t.Errorf("%s is not ranked just below %s", r, Roles[i-1])
		}
	}
	if Role("Owner").Valid() || Role("").Valid() {
		t.Error("a role is case-sensitive and not empty")
	}
}

func TestAccessScopeAndTwoFactor(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Access
		act  Action
		ok   bool
		msg  string
	}{
		{"write token edits as its role", Access{UserID: 1, Role: Editor, Scope: ScopeWrite}, Edit, true, ""},
		{"read token reads", Access{UserID: 1, Role: Owner, Scope: ScopeRead}, Read, true, ""},
		{"read token cannot edit", Access{UserID: 1, Role: Owner, Scope: ScopeRead}, Edit, false, "read scope"},
		{"read token cannot touch the account", Access{UserID: 1, Role: Owner, Scope: ScopeRead}, Self, false, "read scope"},
		{"viewer cannot edit", Access{UserID: 1, Role: Viewer}, Edit, false, "viewer: this needs editor"},
		{"a read token of a viewer is refused for the role", Access{UserID: 1, Role: Viewer, Scope: ScopeRead}, Edit, false, "viewer"},
		{"self needs only a person", Access{UserID: 1}, Self, true, ""},
		{"self without a person", Access{}, Self, false, "none"},
		{"no workspace, no reading", Access{UserID: 1}, Read, false, "none"},
		{"must enrol: own account only", Access{UserID: 1, Role: Owner, MustEnroll2FA: true}, Self, true, ""},
		{"must enrol: no reading", Access{UserID: 1, Role: Owner, MustEnroll2FA: true}, Read, false, "two-factor"},
		{"must enrol: no new tokens", Access{UserID: 1, Role: Owner, MustEnroll2FA: true}, Tokens, false, "two-factor"},
		{"no workspace: no tokens", Access{UserID: 1}, Tokens, false, "none"},
		{"a session changes its sign-in", Access{UserID: 1, SessionID: "s"}, Account, true, ""},
		{"sign-in without a workspace", Access{UserID: 1}, Account, true, ""},
		{"sign-in without a person", Access{}, Account, false, "none"},
		{"must enrol: may turn 2FA on", Access{UserID: 1, Role: Owner, MustEnroll2FA: true}, Account, true, ""},
		{"a write token cannot change sign-in", Access{UserID: 1, Role: Owner, Scope: ScopeWrite, TokenID: 7}, Account, false, "signed-in session"},
		{"a read token cannot change sign-in", Access{UserID: 1, Role: Owner, Scope: ScopeRead, TokenID: 7}, Account, false, "signed-in session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Can(tc.act); got != tc.ok {
				t.Fatalf("Can = %v, want %v", got, tc.ok)
			}
			err := tc.a.Check(tc.act)
			if (err == nil) != tc.ok {
				t.Fatalf("Check = %v", err)
			}
			if err != nil {
				if apperr.KindOf(err) != apperr.Forbidden || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("Check = %v, want a 403 mentioning %q", err, tc.msg)
				}
			}
		})
	}
}

func TestCheckRequestScope(t *testing.T) {
	read := Access{UserID: 1, Role: Admin, Scope: ScopeRead}
	for _, tc := range []struct {
		method string
		act    Action
		ok     bool
	}{
		{"GET", Read, true},
		{"HEAD", Read, true},
		{"GET", Self, true},         // GET /me with a read token
		{"GET", Members, true},      // an admin's read token lists invitations
		{"GET", DeleteSpace, false}, // still the role's rule
		{"POST", Self, false},
		{"PATCH", Edit, false},
		{"DELETE", Read, false},
	} {
		err := read.CheckRequest(tc.method, tc.act)
		if (err == nil) != tc.ok {
			t.Errorf("read token %s %s: %v, want ok=%v", tc.method, tc.act, err, tc.ok)
		}
		if err != nil && tc.method != "GET" && !strings.Contains(err.Error(), "read scope") {
			t.Errorf("read token %s %s: %v, want the scope named", tc.method, tc.act, err)
		}
	}
	write := Access{UserID: 1, Role: Viewer, Scope: ScopeWrite, TokenID: 7}
	if write.CheckRequest("POST", Edit) == nil || write.CheckRequest("POST", Self) != nil || write.CheckRequest("GET", Read) != nil {
		t.Error("a write token follows its role")
	}
	// Sign-in security answers the same for any token and any method,
	// naming the session it needs rather than a scope that would not do.
	read.TokenID = 8
	for _, x := range []Access{read, write} {
		for _, m := range []string{"GET", "POST", "DELETE"} {
			if err := x.CheckRequest(m, Account); err == nil || !strings.Contains(err.Error(), "signed-in session") {
				t.Errorf("%s token %s Account: %v, want the session named", x.Scope, m, err)
			}
		}
	}
	session := Access{UserID: 1, SessionID: "s"}
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if err := session.CheckRequest(m, Account); err != nil {
			t.Errorf("session %s Account: %v", m, err)
		}
	}
}
