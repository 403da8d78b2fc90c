package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/twofactor"
)

// Enrolment is what a person needs to set up an authenticator app: the
// secret as text, the otpauth URI and its QR code (a PNG data: URI).
type Enrolment struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
	QRCode string `json:"qr_code"`
}

// Errors of two-factor login.
var (
	ErrTwoFactorOn  = apperr.New(apperr.Conflict, "two-factor login is already on")
	ErrTwoFactorOff = apperr.New(apperr.Conflict, "two-factor login is not on")
	ErrNoEnrolment  = apperr.New(apperr.Conflict, "start the set-up first (POST /api/v1/me/2fa), then confirm it with a code")
	errBadCode      = apperr.Field("code", "is not a valid code from your authenticator app or an unused recovery code")
	errBadChallenge = apperr.New(apperr.Unauthorized, "the login step expired or is invalid: log in with your password again")
)

// Enroll2FA starts two-factor set-up for userID: a new secret, stored but
// not on until ConfirmEnroll2FA proves the app has it.
func (s *Service) Enroll2FA(ctx context.Context, userID int64) (Enrolment, error) {
	row, err := s.store.userByID(ctx, userID)
	if err != nil {
		return Enrolment{}, err
	}
	if row.TotpEnabled {
		return Enrolment{}, ErrTwoFactorOn
	}
	secret, err := twofactor.NewSecret()
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.store.setTOTP(ctx, userID, map[string]any{"totp_secret": secret, "totp_enabled": false, "totp_last_step": 0}); err != nil {
		return Enrolment{}, err
	}
	uri := twofactor.URI("BetterStack", row.Email, secret)
	png, err := twofactor.QRCodePNG(uri)
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, URI: uri, QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}

// ConfirmEnroll2FA turns two-factor login on once code matches the secret
// from Enroll2FA. It returns the ten recovery codes (shown once, stored
// hashed) and ends every other session of the person (keep is the one
// asking, which stays).
func (s *Service) ConfirmEnroll2FA(ctx context.Context, userID int64, code, keep string) ([]string, error) {
	row, err := s.store.userByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if row.TotpEnabled {
		return nil, ErrTwoFactorOn
	}
	if row.TotpSecret == "" {
		return nil, ErrNoEnrolment
	}
	key := "2fa:" + strconv.FormatInt(userID, 10)
	if ok, wait := s.take(ctx, key, s.cfg.LoginMaxFails); !ok {
		s.undo(ctx, key)
		return nil, rateLimited(wait)
	}
	step, ok := twofactor.Verify(row.TotpSecret, code, s.now(), row.TotpLastStep)
	if !ok {
		return nil, errBadCode
	}
	s.undo(ctx, key)
	plain, hashes, err := twofactor.NewRecoveryCodes()
	if err != nil {
		return nil, err
	}
	codes, _ := json.Marshal(hashes)
	if err := s.store.setTOTP(ctx, userID, map[string]any{"totp_enabled": true, "totp_last_step": step, "recovery_codes": string(codes)}); err != nil {
		return nil, err
	}
	if _, err := s.store.deleteSessions(ctx, userID, keep); err != nil {
		return nil, err
	}
	s.log.Info("two-factor login turned on", "user_id", userID)
	s.note(ctx, userID, row.Email, "2fa.enable", clientOf(ctx), nil)
	return plain, nil
}

// Disable2FA turns two-factor login off; it needs the password and a code
// (or a recovery code).
func (s *Service) Disable2FA(ctx context.Context, userID int64, password, code string) error {
	row, err := s.store.userByID(ctx, userID)
	if err != nil {
		return err
	}
	if !row.TotpEnabled {
		return ErrTwoFactorOff
	}
	key := "2fa:" + strconv.FormatInt(userID, 10)
	if ok, wait := s.take(ctx, key, s.cfg.LoginMaxFails); !ok {
		s.undo(ctx, key)
		return rateLimited(wait)
	}
	if !checkPassword(row.PasswordHash, password) {
		return apperr.Field("password", "is not your current password")
	}
	if _, err := s.checkSecondFactor(ctx, row, code); err != nil {
		return err
	}
	s.undo(ctx, key)
	if err := s.store.setTOTP(ctx, userID, map[string]any{"totp_secret": "", "totp_enabled": false, "totp_last_step": 0, "recovery_codes": "[]"}); err != nil {
		return err
	}
	s.log.Info("two-factor login turned off", "user_id", userID)
	s.note(ctx, userID, row.Email, "2fa.disable", clientOf(ctx), nil)
	return nil
}

// checkSecondFactor accepts a current TOTP code (never one already used)
// or an unused recovery code (then used up), recording either, and says
// which it was.
func (s *Service) checkSecondFactor(ctx context.Context, row userRow, code string) (string, error) {
	if step, ok := twofactor.Verify(row.TotpSecret, code, s.now(), row.TotpLastStep); ok {
		// Conditional on the step stored: two logins racing with the same
		// code cannot both pass.
		n, err := s.store.advanceTOTPStep(ctx, row.ID, row.TotpLastStep, step)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return "", errBadCode
		}
		return "totp", nil
	}
	var hashes []string
	_ = json.Unmarshal([]byte(row.RecoveryCodes), &hashes)
	i := twofactor.MatchRecovery(hashes, code)
	if i < 0 {
		return "", errBadCode
	}
	old := row.RecoveryCodes
	hashes = append(hashes[:i], hashes[i+1:]...)
	next, _ := json.Marshal(hashes)
	n, err := s.store.useRecoveryCode(ctx, row.ID, old, string(next))
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", errBadCode
	}
	return "recovery", nil
}

// CompleteLogin finishes a login that Login answered with
// TwoFactorRequired, given a code; failures count against the same limits
// as passwords.
func (s *Service) CompleteLogin(ctx context.Context, challenge, code string, cl Client) (User, string, error) {
	_, row, err := s.parseJWT(ctx, challenge, "2fa")
	if err != nil {
		return User{}, "", errBadChallenge
	}
	if !row.TotpEnabled {
		return User{}, "", errBadChallenge
	}
	// Counted before the code is checked, as Login counts passwords.
	acct, addr := "acct:"+row.Email+"|"+cl.IP, "ip:"+cl.IP
	if ok, wait := s.take(ctx, acct, s.cfg.LoginMaxFails); !ok {
		s.undo(ctx, acct)
		return User{}, "", rateLimited(wait)
	}
	if ok, wait := s.take(ctx, addr, 2*s.cfg.LoginMaxFails); !ok {
		s.undo(ctx, acct, addr)
		return User{}, "", rateLimited(wait)
	}
	method, err := s.checkSecondFactor(ctx, row, code)
	if err != nil {
		s.note(ctx, row.ID, row.Email, "login.failure", cl, map[string]any{"reason": "wrong two-factor code"})
		return User{}, "", err
	}
	s.undo(ctx, addr)
	if err := s.limiter.Reset(ctx, acct); err != nil {
		s.log.Warn("reset login failures", "err", err)
	}
	u := row.user()
	tok, err := s.startSession(ctx, u, cl, method)
	if err == nil {
		s.note(ctx, u.ID, u.Email, "login.success", cl, map[string]any{"method": method})
	}
	return u, tok, err
}

// RecoveryCodesLeft says how many recovery codes userID has unused.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	row, err := s.store.userByID(ctx, userID)
	if err != nil {
		return 0, err
	}
	var hashes []string
	_ = json.Unmarshal([]byte(row.RecoveryCodes), &hashes)
	return len(hashes), nil
}

// clientOf is where the request in ctx comes from (its access value).
func clientOf(ctx context.Context) Client {
	a := access.From(ctx)
	return Client{IP: a.Address, UserAgent: a.UserAgent}
}
