import factory

from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = OrganizationKind.FUNDER
    state = ""


class NationalOfficeFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"National Office {n}")
    kind = OrganizationKind.NATIONAL_OFFICE


class ChapterFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"Chapter {n}")
    kind = OrganizationKind.STATE_CHAPTER
    state = "OH"
    parent = factory.SubFactory(NationalOfficeFactory)


class CacFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"CAC {n}")
    kind = OrganizationKind.CAC
    parent = factory.SubFactory(ChapterFactory)
    state = factory.SelfAttribute("parent.state")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory("haven.accounts.tests.factories.UserFactory")
    organization = factory.SubFactory(CacFactory)
    role = "clinician"
