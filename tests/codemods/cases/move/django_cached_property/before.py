from django.utils.functional import Promise, cached_property, keep_lazy


class Field:
    @cached_property
    def cached_col(self):  # cached_property on purpose
        return Promise()
