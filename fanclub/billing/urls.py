from django.urls import path

from fanclub.billing import views

app_name = "billing"

urlpatterns = [
    path("billing/", views.history, name="history"),
    path("billing/receipts/<uuid:charge_id>/", views.receipt, name="receipt"),
    path("billing/subscribe/<int:tier_id>/", views.checkout_subscribe, name="checkout-subscribe"),
    path("billing/unlock/<int:post_id>/", views.checkout_unlock, name="checkout-unlock"),
    path("billing/tip/<str:handle>/", views.checkout_tip, name="checkout-tip"),
    path("billing/gift/<int:tier_id>/", views.checkout_gift, name="checkout-gift"),
    path("billing/subscriptions/", views.subscriptions, name="subscriptions"),
    path(
        "billing/subscriptions/<int:subscription_id>/change-tier/",
        views.subscription_change_tier,
        name="subscription-change-tier",
    ),
    path(
        "billing/subscriptions/<int:subscription_id>/<slug:action>/",
        views.subscription_action,
        name="subscription-action",
    ),
    path("billing/earnings/", views.earnings, name="earnings"),
    path("billing/payouts/", views.payouts, name="payouts"),
    path("billing/payouts/schedule/", views.payout_schedule, name="payout-schedule"),
    path("billing/promotions/", views.promotions, name="promotions"),
    path("billing/promotions/<int:promotion_id>/disable/", views.promotion_disable, name="promotion-disable"),
    path("billing/statement.csv", views.statement_csv, name="statement"),
]
