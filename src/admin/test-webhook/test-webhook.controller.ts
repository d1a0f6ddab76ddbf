import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminApi, ApiInvalidInput } from '../admin-api.decorator.js';
import { Audited } from '../audit/audited.decorator.js';
import { SendTestWebhookDto, TestWebhookResultDto } from './dto/test-webhook.dto.js';
import { TestWebhookService } from './test-webhook.service.js';

@AdminApi('admin: test webhook')
@Controller('admin/test-webhook')
export class TestWebhookController {
  constructor(private readonly sender: TestWebhookService) {}

  @Post()
  @HttpCode(200)
  @Audited('test-webhook.send', (result: TestWebhookResultDto) => (result.accepted ? 1 : 0))
  @ApiOperation({
    summary: "Send ourselves a signed test webhook, like the provider's connection test",
    description:
      'Builds an envelope {id: evt_test_…, type, data, created_at}, signs it with the first WEBHOOK_SECRET and posts ' +
      'it over the network to PUBLIC_URL (else this process). Reports the answer, the stored event and how to find ' +
      'it in the logs. A handler for the type runs as for any event; unhandled types are stored as `ignored`.',
  })
  @ApiOkResponse({
    type: TestWebhookResultDto,
    description: 'Sent; `accepted` says whether the service acknowledged it.',
  })
  @ApiInvalidInput()
  send(@Body() body: SendTestWebhookDto): Promise<TestWebhookResultDto> {
    return this.sender.send(body);
  }
}
