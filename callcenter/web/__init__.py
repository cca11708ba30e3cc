"""The HTTP edge shared by every feature: route policies, security, errors, pages, i18n."""
