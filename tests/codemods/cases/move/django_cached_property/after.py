from django.utils.functional import Promise, keep_lazy
from functools import cached_property


class Field:
    @cached_property
    def cached_col(self):  # cached_property on purpose
        return Promise()
