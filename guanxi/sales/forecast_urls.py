"""URLs of the funnel, forecast and targets screens (inside the web namespace)."""

from django.urls import path

from guanxi.sales import forecast_views, funnel_views, target_views

urlpatterns = [
    path("sales/funnel/", funnel_views.funnel_page, name="funnel"),
    path("sales/funnel/deals/", funnel_views.funnel_deals, name="funnel_deals"),
    path("sales/forecast/", forecast_views.forecast_page, name="forecast"),
    path("sales/forecast/adjust/", forecast_views.forecast_adjust, name="forecast_adjust"),
    path("sales/targets/", target_views.target_grid, name="target_grid"),
]
