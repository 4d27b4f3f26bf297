"""REST API of journeys: thin views over ``processes.selectors`` and ``processes.services``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from processes import selectors, services
from processes.access import access_journey


class JourneyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    published_version = serializers.IntegerField(source="published_number", allow_null=True)
    created_at = serializers.DateTimeField()


class JourneyCreateSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    bpmn_xml = serializers.CharField(trim_whitespace=False)


class JourneyListApi(APIView):
    @extend_schema(responses=JourneyOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        journeys = selectors.journeys_visible_to(user=request.user)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(journeys, request, view=self)
        return paginator.get_paginated_response(JourneyOutputSerializer(page, many=True).data)

    @extend_schema(request=JourneyCreateSerializer, responses={201: JourneyOutputSerializer})
    def post(self, request: Request) -> Response:
        payload = JourneyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        journey = services.journey_create(actor=request.user, **payload.validated_data)
        journey = access_journey(user=request.user, journey_id=journey.pk)
        return Response(JourneyOutputSerializer(journey).data, status=status.HTTP_201_CREATED)


class JourneyDetailApi(APIView):
    @extend_schema(responses=JourneyOutputSerializer)
    def get(self, request: Request, journey_id: int) -> Response:
        journey = access_journey(user=request.user, journey_id=journey_id)
        return Response(JourneyOutputSerializer(journey).data)
