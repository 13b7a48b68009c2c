from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import record_event
from accounts.models import AuditEvent
from accounts.throttles import TokenRateThrottle
from accounts.views import lockout_message


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    rotate = serializers.BooleanField(
        default=False,
        help_text=_(
            "Replace the current token with a new one; the old one stops working."
        ),
    )


class TokenApi(APIView):
    """Return the API token of the account whose credentials are posted.

    Send it back as `Authorization: Token <key>`. With `rotate`, the old token
    is deleted and a new one made. Failed attempts count towards the login
    lockout, and the endpoint is throttled per client address (scope "token").
    """

    # Credentials come in the body only: no session, so no CSRF token needed.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "TokenResponse",
                {
                    "token": serializers.CharField(),
                    "created": serializers.BooleanField(),
                },
            )
        },
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # django-axes marks the underlying Django request when it blocks the attempt.
        django_request = request._request
        user = authenticate(
            django_request, username=data["username"], password=data["password"]
        )
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                return Response({"detail": lockout_message()}, status=429)
            message = _("Invalid username or password; check them and try again.")
            return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)

        token, created = self._issue_token(user, rotate=data["rotate"])
        record_event(
            user,
            AuditEvent.Action.LOGIN,
            request=django_request,
            details={"method": "token", "rotated": data["rotate"]},
        )

        return Response({"token": token.key, "created": created})

    @staticmethod
    @transaction.atomic
    def _issue_token(user, *, rotate):
        if rotate:
            Token.objects.filter(user=user).delete()
        return Token.objects.get_or_create(user=user)
