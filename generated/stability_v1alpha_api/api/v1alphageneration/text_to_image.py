from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.accept import Accept
from ...models.artifact import Artifact
from ...models.error import Error
from ...models.text_to_image_request_body import TextToImageRequestBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    engine_id: str,
    *,
    body: TextToImageRequestBody,
    accept: Accept,
    organization: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Accept"] = str(accept)

    if not isinstance(organization, Unset):
        headers["Organization"] = organization

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1alpha/generation/{engine_id}/text-to-image".format(
            engine_id=quote(str(engine_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[Artifact] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = Artifact.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Error.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | list[Artifact]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    engine_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: TextToImageRequestBody,
    accept: Accept,
    organization: str | Unset = UNSET,
) -> Response[Error | list[Artifact]]:
    """Generate images from a text prompt

     Runs the diffusion engine from pure noise, guided by one or more text
    prompts. Every field except `text_prompts` is optional; the service
    applies the documented default for anything left out.

    Args:
        engine_id (str):  Example: stable-diffusion-512-v2-1.
        accept (Accept): Media type the caller wants a successful response in.
        organization (str | Unset):  Example: org-123456.
        body (TextToImageRequestBody): Generation parameters. Image-to-image and masking requests
            carry the
            same fields in their `options` part.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[Artifact]]
    """

    kwargs = _get_kwargs(
        engine_id=engine_id,
        body=body,
        accept=accept,
        organization=organization,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    engine_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: TextToImageRequestBody,
    accept: Accept,
    organization: str | Unset = UNSET,
) -> Error | list[Artifact] | None:
    """Generate images from a text prompt

     Runs the diffusion engine from pure noise, guided by one or more text
    prompts. Every field except `text_prompts` is optional; the service
    applies the documented default for anything left out.

    Args:
        engine_id (str):  Example: stable-diffusion-512-v2-1.
        accept (Accept): Media type the caller wants a successful response in.
        organization (str | Unset):  Example: org-123456.
        body (TextToImageRequestBody): Generation parameters. Image-to-image and masking requests
            carry the
            same fields in their `options` part.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[Artifact]
    """

    return sync_detailed(
        engine_id=engine_id,
        client=client,
        body=body,
        accept=accept,
        organization=organization,
    ).parsed


async def asyncio_detailed(
    engine_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: TextToImageRequestBody,
    accept: Accept,
    organization: str | Unset = UNSET,
) -> Response[Error | list[Artifact]]:
    """Generate images from a text prompt

     Runs the diffusion engine from pure noise, guided by one or more text
    prompts. Every field except `text_prompts` is optional; the service
    applies the documented default for anything left out.

    Args:
        engine_id (str):  Example: stable-diffusion-512-v2-1.
        accept (Accept): Media type the caller wants a successful response in.
        organization (str | Unset):  Example: org-123456.
        body (TextToImageRequestBody): Generation parameters. Image-to-image and masking requests
            carry the
            same fields in their `options` part.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[Artifact]]
    """

    kwargs = _get_kwargs(
        engine_id=engine_id,
        body=body,
        accept=accept,
        organization=organization,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    engine_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: TextToImageRequestBody,
    accept: Accept,
    organization: str | Unset = UNSET,
) -> Error | list[Artifact] | None:
    """Generate images from a text prompt

     Runs the diffusion engine from pure noise, guided by one or more text
    prompts. Every field except `text_prompts` is optional; the service
    applies the documented default for anything left out.

    Args:
        engine_id (str):  Example: stable-diffusion-512-v2-1.
        accept (Accept): Media type the caller wants a successful response in.
        organization (str | Unset):  Example: org-123456.
        body (TextToImageRequestBody): Generation parameters. Image-to-image and masking requests
            carry the
            same fields in their `options` part.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[Artifact]
    """

    return (
        await asyncio_detailed(
            engine_id=engine_id,
            client=client,
            body=body,
            accept=accept,
            organization=organization,
        )
    ).parsed
