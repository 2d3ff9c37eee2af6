from functools import cached_property

from django.utils.functional import Promise, keep_lazy


class Field:
    @cached_property
    def cached_col(self):  # cached_property on purpose
        return Promise()
