from kiteline.api.api import api, urls_of

app_name = api.urls_namespace
urlpatterns = urls_of(api)
