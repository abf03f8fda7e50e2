app_name = "learning"
urlpatterns: list = [
    # Each part of the pillar appends its pages here.
]
