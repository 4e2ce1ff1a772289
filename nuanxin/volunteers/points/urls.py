from django.urls import path

from nuanxin.volunteers.points import views

app_name = "points"
urlpatterns = [
    path("", views.home, name="home"),
    path("rewards/<int:reward_id>/redeem/", views.redeem, name="redeem"),
    path("vouchers/<int:redemption_id>/cancel/", views.cancel, name="cancel"),
    path("confirm/", views.confirm, name="confirm"),
    path("rules/", views.rules, name="rules"),
    path("rules/defaults/", views.install_rules, name="install_rules"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:reward_id>/", views.update_reward, name="update_reward"),
]
