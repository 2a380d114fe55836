"""The staff console (管理画面): static pages at ``/admin/``, a client of ``/admin/api/v1`` only."""
