"""Reads for staff and teams, scoped to the caller."""

from django.db.models import QuerySet

from peyvand.accounts.models import Role, Team, User


def teams_visible_to(user: User) -> QuerySet[Team]:
    """Admins see every team; a manager their team and its sub-teams; an agent their own team."""
    if user.is_admin_role:
        return Team.objects.all()
    team = user.team
    if team is None:
        return Team.objects.none()
    if user.role == Role.MANAGER:
        return team.subtree()
    return Team.objects.filter(pk=team.pk)


def users_visible_to(user: User) -> QuerySet[User]:
    if user.is_admin_role:
        return User.objects.filter(is_active=True)
    return User.objects.filter(is_active=True, team__in=teams_visible_to(user))
