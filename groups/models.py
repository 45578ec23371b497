from django.db import models


class GroupSubject(models.Model):
    """A group's subject (its name) as YesApp last learned it: from the page's list of groups
    (which the groups API, creating and renaming a group all read), kept in the database so
    the dashboard's Chats can name a group without asking the session's browser."""

    session = models.ForeignKey(
        "sessions_app.Session", on_delete=models.CASCADE, related_name="group_subjects"
    )
    group_id = models.CharField(max_length=100, help_text="`<digits>@g.us`.")
    subject = models.CharField(max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "group_id"], name="group_subject_unique_group")
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.group_id})"
