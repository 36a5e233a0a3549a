"""Validate an import's new rows with one instance of the entity's form, cheaply.

An import checks each row with the same form as the create screen, so it accepts and
refuses the same values with the same messages. Built and run as Django does it for one
request, the form costs more than everything else a row needs: every field is
deep-copied, wrapped in a bound field, cleaned twice (form field, then model field) and
compared with its initial value. Here one form is built per import and rebound for each
row, through a subclass made for the import that runs the same steps without that
overhead:

- fields are cleaned straight from the row's data (no bound field objects), then the
  form's own `clean_<name>` methods run as usual;
- cleaning a value that repeats (a type, a grade, a province) is remembered per field,
  for the field classes whose cleaning depends on the value alone; failures are never
  remembered, so every wrong cell gets its own error;
- the changed fields, the record's fields filled from the cleaned data and the model's
  own field validation follow Django's code step by step, with what is the same for every
  row (the model fields concerned, the unique checks) worked out once.

`guanxi/dataio/tests/test_rowform.py` checks the outcome (values, errors in zh-hans and
English) against the form used as the screen uses it, on good and bad values.
"""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.forms import models as model_forms

from guanxi.core import customfields
from guanxi.core.models import User
from guanxi.core.registry import Entity

# How many cleaned values each field remembers: enough for the values of a choice or a
# city column; a name column stops adding once full.
MEMO_LIMIT = 4096

# Field classes (exactly these, not subclasses) whose cleaning of a text depends on that
# text alone: no database, no other field, no mutable result.
PURE_FORM_FIELDS = {
    forms.CharField,
    forms.EmailField,
    forms.URLField,
    forms.SlugField,
    forms.ChoiceField,
    forms.TypedChoiceField,
    forms.IntegerField,
    forms.DecimalField,
    forms.FloatField,
    forms.BooleanField,
    forms.NullBooleanField,
    forms.DateField,
    forms.DateTimeField,
    forms.TimeField,
}
PURE_MODEL_FIELDS = {
    models.CharField,
    models.TextField,
    models.EmailField,
    models.URLField,
    models.SlugField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.BooleanField,
}


class _Memo(dict):
    """Cleaned values of one field by the text cleaned; stops growing at MEMO_LIMIT."""

    __slots__ = ()

    def keep(self, key, value):
        if len(self) < MEMO_LIMIT:
            self[key] = value
        return value


def _form_memo(field: forms.Field) -> _Memo | None:
    if type(field) not in PURE_FORM_FIELDS or field.disabled:
        return None
    if type(field)._clean_bound_field is not forms.Field._clean_bound_field:
        return None
    return _Memo()


def _model_memo(field: models.Field) -> _Memo | None:
    return _Memo() if type(field) in PURE_MODEL_FIELDS else None


class RowForm:
    """Validate new rows with one instance of the entity's form, rebound for each row.

    Optional fields no column maps to are dropped (the record keeps their defaults;
    without an owner column the importer owns the record, as on the screen), and users are
    looked up once each rather than once per row.
    """

    def __init__(self, entity: Entity, user: User, mapping_targets: list[str]):
        self.entity = entity
        form = entity.form_class(data={}, user=user)
        mapped = {
            customfields.FORM_PREFIX + target[len("custom.") :]
            if target.startswith("custom.")
            else target
            for target in mapping_targets
            if target
        }
        # A field no column fills would only clean the new record's default again, row
        # after row; leaving it out keeps that default and halves a row's work. Required
        # fields stay, so their rules still run.
        for name in list(form.fields):
            if name not in mapped and (name == "owner" or not form.fields[name].required):
                del form.fields[name]
        for field_object in form.fields.values():
            queryset = getattr(field_object, "queryset", None)
            if queryset is not None and queryset.model is User:
                field_object.to_python = _memoised(field_object.to_python)
        self.lean = _lean_possible(form)
        if self.lean:
            form.__class__ = _lean_class(type(form))
            form._gx_plan = _Plan(form)
        self.form = form
        self.new_instance = _instance_maker(entity.model, self.lean)
        # The same fields and errors always exclude the same model fields from validation;
        # the form works that out twice per row.
        form._get_validation_exclusions = self._exclusions
        self._excluded: dict[tuple, set] = {}
        self._exclusion_inputs = [
            name for name, field_object in form.fields.items() if not field_object.required
        ]

    def _exclusions(self) -> set:
        form = self.form
        key = (
            tuple(form._errors or ()),
            tuple(
                form.cleaned_data.get(name) in form.fields[name].empty_values
                for name in self._exclusion_inputs
            ),
        )
        if key not in self._excluded:
            self._excluded[key] = type(form)._get_validation_exclusions(form)
        return set(self._excluded[key])

    def bind(self, data: dict):
        form = self.form
        form.data = data
        form.is_bound = True
        form._errors = None
        form._bound_fields_cache = {}
        form._gx_changed = None
        # A cached property: kept, every row would get the first row's changed fields
        # (AccountForm marks those as classified by hand).
        form.__dict__.pop("changed_data", None)
        form.instance = self.new_instance()
        if hasattr(form, "cleaned_data"):
            del form.cleaned_data
        form.is_valid()
        if self.lean:
            _plain_instance(form.instance)
        return form

    def detach(self):
        """Return the validated instance and cleaned data, keeping them from the next row."""
        return self.form.instance, dict(self.form.cleaned_data)


def _lean_possible(form: forms.BaseForm) -> bool:
    """Tell whether the form is a model form without files."""
    return isinstance(form, forms.ModelForm) and not any(
        isinstance(field, forms.FileField) for field in form.fields.values()
    )


class _Plan:
    """What cleaning a row with this form needs, worked out once."""

    def __init__(self, form: forms.ModelForm):
        self.fields = []
        for name, field in form.fields.items():
            lean = type(field)._clean_bound_field is forms.Field._clean_bound_field
            self.fields.append(
                (
                    name,
                    field,
                    form.add_prefix(name),
                    getattr(form, f"clean_{name}", None),
                    lean and not field.disabled,
                    _form_memo(field),
                    _Memo()
                    if type(field) in PURE_FORM_FIELDS and not field.show_hidden_initial
                    else None,
                )
            )
        self.by_name = {entry[0]: entry for entry in self.fields}
        # Fields whose initial value the screen sends back hidden (callable defaults).
        self.hidden_initial = {
            name: (field.hidden_widget(), form.add_initial_prefix(name))
            for name, field in form.fields.items()
            if field.show_hidden_initial
        }
        opts = form._meta
        self.meta_fields, self.meta_exclude = opts.fields, opts.exclude
        model_opts = form.instance._meta
        self.constructed = [
            (f, f.name, f.has_default(), isinstance(f, models.FileField))
            for f in model_opts.fields
            if f.editable
            and not isinstance(f, models.AutoField)
            and (opts.fields is None or f.name in opts.fields)
            and not (opts.exclude and f.name in opts.exclude)
        ]


def _lean_class(form_class: type) -> type:
    return _LEAN_CLASSES.get(form_class) or _LEAN_CLASSES.setdefault(
        form_class,
        type(
            form_class.__name__,
            (form_class,),
            {
                "__module__": form_class.__module__,
                "__qualname__": form_class.__qualname__,
                "_clean_fields": _clean_fields,
                "changed_data": property(_changed_data),
                "field_changed": _one_field_changed,
            },
        ),
    )


_LEAN_CLASSES: dict[type, type] = {}


def _clean_fields(self) -> None:
    """Form._clean_fields, reading each field's value from the data without a bound field."""
    data, files, cleaned = self.data, self.files, self.cleaned_data
    for name, field, html_name, clean_method, lean, memo, _changed in self._gx_plan.fields:
        try:
            if lean:
                value = field.widget.value_from_datadict(data, files, html_name)
                if memo is not None and type(value) is str:
                    found = memo.get(value, memo)
                    cleaned[name] = memo.keep(value, field.clean(value)) if found is memo else found
                else:
                    cleaned[name] = field.clean(value)
            else:
                cleaned[name] = field._clean_bound_field(self[name])
            if clean_method is not None:
                cleaned[name] = clean_method()
        except ValidationError as error:
            self.add_error(name, error)


def _changed_data(self) -> list[str]:
    """Form.changed_data: the fields whose value differs from their initial value."""
    if self._gx_changed is None:
        self._gx_changed = [
            entry[0] for entry in self._gx_plan.fields if _field_changed(self, entry)
        ]
    return self._gx_changed


def _one_field_changed(self, name: str) -> bool:
    """EntityForm.field_changed: the same answer as `name in changed_data`."""
    entry = self._gx_plan.by_name.get(name)
    if entry is None:
        return False
    if self._gx_changed is not None:
        return name in self._gx_changed
    return _field_changed(self, entry)


def _field_changed(self, entry) -> bool:
    """BoundField._has_changed of one field of the plan."""
    name, field, html_name, _clean, _lean, _memo, memo = entry
    data, files = self.data, self.files
    value = field.widget.value_from_datadict(data, files, html_name)
    hidden_initial = self._gx_plan.hidden_initial
    if name in hidden_initial:
        widget, initial_name = hidden_initial[name]
        try:
            initial = field.to_python(widget.value_from_datadict(data, files, initial_name))
        except ValidationError:
            return True
    else:
        initial = self.get_initial_for_field(field, name)
    if memo is not None and type(value) is str and type(initial) in (str, type(None)):
        key = (value, initial)
        found = memo.get(key)
        if found is None:
            found = memo.keep(key, field.has_changed(initial, value))
        return found
    return field.has_changed(initial, value)


_construct_instance = model_forms.construct_instance


def construct_instance(form, instance, fields=None, exclude=None):
    """django.forms.models.construct_instance, with the model fields of an import's form
    looked up once per import rather than once per row (same steps, same order)."""
    plan = getattr(form, "_gx_plan", None)
    if plan is None or fields is not plan.meta_fields or exclude is not plan.meta_exclude:
        return _construct_instance(form, instance, fields, exclude)
    cleaned_data = form.cleaned_data
    file_fields = []
    for f, name, has_default, is_file in plan.constructed:
        if name not in cleaned_data:
            continue
        if has_default:
            form_field = form.fields[name]
            if (
                form_field.widget.value_omitted_from_data(
                    form.data, form.files, form.add_prefix(name)
                )
                and cleaned_data.get(name) in form_field.empty_values
            ):
                continue
        if is_file:
            file_fields.append(f)
        else:
            f.save_form_data(instance, cleaned_data[name])
    for f in file_fields:
        f.save_form_data(instance, cleaned_data[f.name])
    return instance


# ModelForm._post_clean calls the module's function; forms without an import plan get
# Django's own.
model_forms.construct_instance = construct_instance


class _ModelChecks:
    """Model.clean_fields and Model.validate_unique of one model, for an import's rows."""

    def __init__(self, model: type[models.Model]):
        self.fields = [(f, f.name, f.attname, _model_memo(f)) for f in model._meta.fields]
        self.fields = [item for item in self.fields if not item[0].generated]
        self.unique_checks: dict[frozenset, tuple] = {}

    def clean_fields(self, instance, exclude=None):
        if exclude is None:
            exclude = set()
        errors = {}
        state = instance.__dict__
        for f, name, attname, memo in self.fields:
            if name in exclude:
                continue
            raw_value = state[attname] if attname in state else getattr(instance, attname)
            if f.blank and raw_value in f.empty_values:
                continue
            if isinstance(raw_value, DatabaseDefault):
                continue
            try:
                if memo is not None and type(raw_value) is str:
                    found = memo.get(raw_value, memo)
                    value = (
                        memo.keep(raw_value, f.clean(raw_value, instance))
                        if (found is memo)
                        else found
                    )
                else:
                    value = f.clean(raw_value, instance)
                setattr(instance, attname, value)
            except ValidationError as e:
                errors[name] = e.error_list
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, instance, exclude=None):
        key = frozenset(exclude or ())
        checks = self.unique_checks.get(key)
        if checks is None:
            checks = self.unique_checks[key] = instance._get_unique_checks(exclude=exclude)
        unique_checks, date_checks = checks
        errors = instance._perform_unique_checks(unique_checks) if unique_checks else {}
        date_errors = instance._perform_date_checks(date_checks) if date_checks else {}
        for k, v in date_errors.items():
            errors.setdefault(k, []).extend(v)
        if errors:
            raise ValidationError(errors)


def _plain_instance(instance) -> None:
    """Take the import's checks off a validated record (it is pickled and saved later)."""
    instance.__dict__.pop("clean_fields", None)
    instance.__dict__.pop("validate_unique", None)


def _instance_maker(model, lean: bool = False):
    """Return a function making a new record with its defaults, as `model()` does, faster.

    A copy of one new record's attributes, with fresh values of callable defaults (a
    dict or list must not be shared); `model()` itself when something listens to its
    creation. With `lean`, the record's field validation is the import's (removed again
    once the row is validated).
    """
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model
    template = model()
    fresh = [f for f in model._meta.concrete_fields if f.has_default() and callable(f.default)]
    checks = _ModelChecks(model) if lean else None
    overridden = lean and (
        model.clean_fields is not models.Model.clean_fields
        or model.validate_unique is not models.Model.validate_unique
    )

    def make():
        instance = model.__new__(model)
        instance.__dict__.update(template.__dict__)
        instance._state = ModelState()
        for model_field in fresh:
            instance.__dict__[model_field.attname] = model_field.get_default()
        if checks is not None and not overridden:
            instance.clean_fields = functools.partial(checks.clean_fields, instance)
            instance.validate_unique = functools.partial(checks.validate_unique, instance)
        return instance

    return make


def _memoised(function):
    found: dict[Any, Any] = {}

    def wrapper(value):
        key = str(value)
        if key not in found:
            found[key] = function(value)
        return found[key]

    return wrapper
