from django.urls import path

from fanclub.billing import views

app_name = "billing"

urlpatterns = [
    path("billing/", views.history, name="history"),
    path("billing/receipts/<uuid:charge_id>/", views.receipt, name="receipt"),
    path("billing/subscribe/<int:tier_id>/", views.checkout_subscribe, name="checkout-subscribe"),
    path("billing/unlock/<int:post_id>/", views.checkout_unlock, name="checkout-unlock"),
    path("billing/tip/<str:handle>/", views.checkout_tip, name="checkout-tip"),
    path("billing/subscriptions/", views.subscriptions, name="subscriptions"),
    path(
        "billing/subscriptions/<int:subscription_id>/<slug:action>/",
        views.subscription_action,
        name="subscription-action",
    ),
    path("billing/earnings/", views.earnings, name="earnings"),
    path("billing/payouts/", views.payouts, name="payouts"),
    path("billing/statement.csv", views.statement_csv, name="statement"),
]
