from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fanclub.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from fanclub.accounts import consumers
        from fanclub.core import ratelimit

        consumers.register()

        # Per-IP (and per-user) request limits of the sensitive routes, by URL name. Failed sign-ins
        # have their own counters on top (fanclub.accounts.throttle).
        sign_in = ratelimit.Rule(30, 60)
        sign_up = ratelimit.Rule(10, 3600)
        reset = ratelimit.Rule(5, 1800)
        ratelimit.ROUTE_LIMITS.update(
            {
                "account_login": sign_in,
                "accounts:sign-in": sign_in,
                "api:create_token": sign_in,
                "api:create_token_mfa": sign_in,
                "mfa_authenticate": sign_in,
                "mfa_login_webauthn": sign_in,
                "api:refresh_token": ratelimit.Rule(120, 60),
                "account_signup": sign_up,
                "accounts:sign-up": sign_up,
                "api:create_account": sign_up,
                "account_reset_password": reset,
                "api:request_password_reset": reset,
                "api:confirm_password_reset": ratelimit.Rule(10, 600),
                "account_confirm_email": ratelimit.Rule(20, 600),
                "api:verify_email": ratelimit.Rule(20, 600),
            }
        )
